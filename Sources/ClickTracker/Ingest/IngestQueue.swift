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
/// A spooled event leaves the spool only once the store has committed it, or when the store
/// refuses it the same way twice: then it is set aside with the store's reason, to be put back
/// with ``retrySetAside()``. Cancellation, timeouts and lost connections never set anything aside.
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
    private var isReplaying = false
    private var replayTurns: [CheckedContinuation<Void, Never>] = []
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

    /// The set-aside events counted by the store's reason, most frequent first.
    public var setAsideSummary: [(reason: String, count: Int)] {
        get async { await spool?.setAsideSummary ?? [] }
    }

    /// Puts every set-aside event back into the spool and wakes the replayer; those the store
    /// refuses again are set aside again, with its new reason.
    /// - Returns: How many events were put back.
    @discardableResult
    public func retrySetAside() async throws -> Int {
        guard let spool else { return 0 }
        let count = try await spool.requeueSetAside()
        if count > 0 {
            logger.notice("\(count) set-aside reads were put back into the spool to be written again")
            wakeReplayer()
        }
        return count
    }

    /// Replays the spool into the store until it is empty, for a command run while no server
    /// uses the spool (``run()`` does this by itself).
    /// - Throws: The store's error when it cannot be reached or fails; what was written stays written.
    public func replaySpoolNow() async throws {
        while try await replayChunk() {}
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
    /// If the store refuses the chunk, its events are written one by one, and only an event the
    /// store refuses twice with the same reason is set aside (with that reason), so one bad
    /// event never blocks the events behind it. Anything that is not such a refusal — the store
    /// unreachable, a timeout, cancellation at shutdown, a different answer on the second try —
    /// leaves the whole chunk in the spool for the next attempt.
    private func replayChunk() async throws -> Bool {
        try await withReplayTurn {
            guard let spool, let chunk = try await spool.peek(maximumEvents: maximumBatchSize) else { return false }
            do {
                let refused = try await storage.record(chunk.events).filter { !$0.isAccepted }.count
                if refused > 0 {
                    logger.info("\(refused) spooled reports were for renders the store does not know or had finished; they changed nothing")
                }
            } catch {
                try Self.rethrowUnlessRefusal(error)
                var setAside: [SetAsideEvent] = []
                for event in chunk.events {
                    if let reason = try await refusal(of: event) {
                        logger.error(
                            "The store refused a spooled read twice; it is set aside in \(spool.rejectedFile): \(reason)"
                        )
                        setAside.append(SetAsideEvent(event: event, reason: reason))
                    }
                }
                try await spool.setAside(setAside)
            }
            try await spool.remove(chunk)
            if await spool.isEmpty { logger.notice("The spool has been replayed into the store") }
            return true
        }
    }

    /// Writes one event; `nil` once the store took it, or the store's reason when it refused it
    /// twice the same way. Throws when the failure is anything else (the event stays spooled).
    private func refusal(of event: ViewEvent) async throws -> String? {
        var reasons: [String] = []
        for attempt in 0..<2 {
            do {
                try await storage.record([event])
                return nil
            } catch {
                try Self.rethrowUnlessRefusal(error)
                reasons.append("\(error)")
                if attempt == 0 { try await Task.sleep(for: .milliseconds(200)) }
            }
        }
        guard reasons[0] == reasons[1] else {
            throw StorageUnavailable(reason: "the store gave two different answers: \(reasons[0]); then \(reasons[1])")
        }
        return reasons[0]
    }

    /// Rethrows errors that say nothing about the event itself: the store unreachable, or the
    /// task cancelled (the server is stopping; the store may report that as its own error).
    private static func rethrowUnlessRefusal(_ error: any Error) throws {
        if error is StorageUnavailable || error is CancellationError { throw error }
        try Task.checkCancellation()
    }

    /// Runs `body` when no other replay is running (the replayer and ``replaySpoolNow()`` never
    /// write the same chunk twice at once).
    private func withReplayTurn<T>(_ body: () async throws -> T) async throws -> T {
        while isReplaying { await withCheckedContinuation { replayTurns.append($0) } }
        isReplaying = true
        defer {
            isReplaying = false
            if !replayTurns.isEmpty { replayTurns.removeFirst().resume() }
        }
        return try await body()
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
