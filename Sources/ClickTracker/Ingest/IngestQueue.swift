import Logging
import ServiceLifecycle

/// Buffers verified view events and writes them to storage in batches (group commit).
///
/// ``submit(_:)`` returns only once the event's batch is durable, so a caller that acknowledges
/// after `submit` never acknowledges an event that could be lost. While one batch is being
/// written, new events gather for the next, so the batch size follows the load. On graceful
/// shutdown the queue stops taking events and writes everything already taken.
///
/// With a ``Spool``, a batch the store cannot take because it is unreachable
/// (``StorageUnavailable``) is appended to the spool instead, and so is every later batch until
/// the spool has been replayed into the store, oldest first, so the store sees events in order.
public actor IngestQueue: Service {
    /// Why an event was not accepted.
    public enum SubmitError: Error, CustomStringConvertible {
        /// The queue is shutting down and takes no new events.
        case closed

        public var description: String { "the ingest queue is shutting down" }
    }

    private struct Pending {
        var event: ViewEvent
        var continuation: CheckedContinuation<RecordOutcome, any Error>
    }

    private let storage: any ClickStorage
    private let spool: Spool?
    private let maximumBatchSize: Int
    private let logger: Logger
    private var pending: [Pending] = []
    private var writerWaiting: CheckedContinuation<Void, Never>?
    private var replayerWaiting: CheckedContinuation<Void, Never>?
    private var replayRequested = false
    private var isClosed = false

    /// Creates a queue.
    /// - Parameters:
    ///   - storage: Where batches are written.
    ///   - spool: Where batches wait while the store is unreachable; without one such a batch fails.
    ///   - maximumBatchSize: The most events written in one transaction.
    ///   - logger: Where write failures are logged.
    public init(
        storage: any ClickStorage,
        spool: Spool? = nil,
        maximumBatchSize: Int = 1000,
        logger: Logger = Logger(label: "clicktracker.ingest")
    ) {
        self.storage = storage
        self.spool = spool
        self.maximumBatchSize = maximumBatchSize
        self.logger = logger
    }

    /// Events waiting for the next batch.
    public var backlog: Int { pending.count }

    /// Events accepted into the spool and not yet written to the store.
    public var spooled: Int {
        get async { await spool?.backlog ?? 0 }
    }

    /// Spooled events the store refused on replay, set aside in the spool's rejected file.
    public var setAside: Int {
        get async { await spool?.rejected ?? 0 }
    }

    /// `true` once the queue takes no new events.
    public var isClosing: Bool { isClosed }

    /// Queues an event and waits until its batch is durable.
    /// - Returns: What the store made of the event, or ``RecordOutcome/spooled``.
    /// - Throws: ``SubmitError/closed`` during shutdown, or the storage's error if the batch failed;
    ///   in both cases the event was not recorded and must not be acknowledged.
    @discardableResult
    public func submit(_ event: ViewEvent) async throws -> RecordOutcome {
        guard !isClosed else { throw SubmitError.closed }
        return try await withCheckedThrowingContinuation { continuation in
            pending.append(Pending(event: event, continuation: continuation))
            writerWaiting?.resume()
            writerWaiting = nil
        }
    }

    /// Writes batches (and replays the spool) until graceful shutdown, then drains what was
    /// queued, makes one last attempt to replay the spool, and closes it.
    public func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withDiscardingTaskGroup { group in
                    group.addTask { await self.writeUntilClosed() }
                    group.addTask { await self.replayUntilClosed() }
                }
                await self.replaySpool()
                await self.spool?.close()
            } onGracefulShutdown: {
                Task { await self.close() }
            }
        } onCancel: {
            Task { await self.close() }
        }
    }

    /// Stops taking new events; the writer finishes what is queued and `run()` returns.
    public func close() {
        isClosed = true
        writerWaiting?.resume()
        writerWaiting = nil
        wakeReplayer()
    }

    private func writeUntilClosed() async {
        while true {
            if pending.isEmpty {
                if isClosed { return }
                await withCheckedContinuation { writerWaiting = $0 }
                continue
            }
            let batch = Array(pending.prefix(maximumBatchSize))
            pending.removeFirst(batch.count)
            do {
                let outcomes = try await write(batch.map(\.event))
                for (item, outcome) in zip(batch, outcomes) { item.continuation.resume(returning: outcome) }
            } catch let error where batch.count > 1 && !(error is StorageUnavailable) {
                // The store refused the batch: write its events one by one, so one event the
                // store cannot take does not fail the others.
                for item in batch {
                    do {
                        let outcomes = try await write([item.event])
                        item.continuation.resume(returning: outcomes.first ?? .unchanged)
                    } catch {
                        logger.error("Writing a view event failed: \(error)")
                        item.continuation.resume(throwing: error)
                    }
                }
            } catch {
                logger.error("Writing a batch of \(batch.count) view events failed: \(error)")
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
    }

    /// Writes to the store, or to the spool while it holds earlier events or the store is unreachable.
    private func write(_ events: [ViewEvent]) async throws -> [RecordOutcome] {
        guard let spool else {
            return try await Self.outcomes(of: events, storage.record(events))
        }
        if await spool.isEmpty {
            do {
                return try await Self.outcomes(of: events, storage.record(events))
            } catch let error as StorageUnavailable {
                logger.warning("Spooling view events locally until the store is back: \(error)")
            }
        }
        try await spool.append(events)
        wakeReplayer()
        return Array(repeating: .spooled, count: events.count)
    }

    /// The store's outcomes, checked to be one per event.
    private static func outcomes(of events: [ViewEvent], _ outcomes: [RecordOutcome]) throws -> [RecordOutcome] {
        guard outcomes.count == events.count else {
            throw StoreContractViolation(description: "the store returned \(outcomes.count) outcomes for \(events.count) events")
        }
        return outcomes
    }

    /// Replays the spool whenever it has events, retrying with growing pauses while the store is
    /// unreachable.
    private func replayUntilClosed() async {
        guard spool != nil else { return }
        var pause = Duration.milliseconds(100)
        while !isClosed {
            replayRequested = false
            do {
                if try await replayChunk() {
                    pause = .milliseconds(100)
                } else if !replayRequested, !isClosed {
                    await withCheckedContinuation { replayerWaiting = $0 }
                }
            } catch {
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }

    /// Replays until the spool is empty or the store fails.
    private func replaySpool() async {
        while (try? await replayChunk()) == true {}
    }

    /// Records the spool's oldest chunk in the store and removes it; `false` if the spool is empty.
    ///
    /// If the store refuses the chunk (rather than being unreachable), its events are written one
    /// by one and those the store still refuses are set aside in the spool's rejected file, so
    /// one bad event never blocks the events behind it.
    private func replayChunk() async throws -> Bool {
        guard let spool, let chunk = try await spool.peek(maximumEvents: maximumBatchSize) else { return false }
        do {
            let refused = try await storage.record(chunk.events).filter { !$0.isAccepted }.count
            if refused > 0 {
                logger.info("\(refused) spooled reports were for renders the store does not know or had finished; they changed nothing")
            }
        } catch let error as StorageUnavailable {
            throw error
        } catch {
            var refused: [ViewEvent] = []
            for event in chunk.events {
                do {
                    try await storage.record([event])
                } catch let error as StorageUnavailable {
                    throw error
                } catch {
                    logger.error("The store refused a spooled view event; it is set aside in the spool's rejected file: \(error)")
                    refused.append(event)
                }
            }
            try await spool.setAside(refused)
        }
        try await spool.remove(chunk)
        if await spool.isEmpty { logger.notice("The spool has been replayed into the store") }
        return true
    }

    private func wakeReplayer() {
        replayRequested = true
        replayerWaiting?.resume()
        replayerWaiting = nil
    }
}

/// A store answered against its contract; the batch counts as failed.
struct StoreContractViolation: Error, CustomStringConvertible {
    let description: String
}
