import Logging
import ServiceLifecycle

/// Buffers verified view events and writes them to storage in batches (group commit).
///
/// ``submit(_:)`` returns only once the event's batch is committed, so a caller that acknowledges
/// after `submit` never acknowledges an event that could be lost. While one batch is being
/// written, new events gather for the next, so the batch size follows the load. On graceful
/// shutdown the queue stops taking events and writes everything already taken.
public actor IngestQueue: Service {
    /// Why an event was not accepted.
    public enum SubmitError: Error, CustomStringConvertible {
        /// The queue is shutting down and takes no new events.
        case closed

        public var description: String { "the ingest queue is shutting down" }
    }

    private struct Pending {
        var event: ViewEvent
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let storage: any ClickStorage
    private let maximumBatchSize: Int
    private let logger: Logger
    private var pending: [Pending] = []
    private var writerWaiting: CheckedContinuation<Void, Never>?
    private var isClosed = false

    /// Creates a queue.
    /// - Parameters:
    ///   - storage: Where batches are written.
    ///   - maximumBatchSize: The most events written in one transaction.
    ///   - logger: Where write failures are logged.
    public init(storage: any ClickStorage, maximumBatchSize: Int = 1000, logger: Logger = Logger(label: "clicktracker.ingest")) {
        self.storage = storage
        self.maximumBatchSize = maximumBatchSize
        self.logger = logger
    }

    /// Events waiting for the next batch.
    public var backlog: Int { pending.count }

    /// `true` once the queue takes no new events.
    public var isClosing: Bool { isClosed }

    /// Queues an event and waits until its batch is durable.
    /// - Throws: ``SubmitError/closed`` during shutdown, or the storage's error if the batch failed;
    ///   in both cases the event was not recorded and must not be acknowledged.
    public func submit(_ event: ViewEvent) async throws {
        guard !isClosed else { throw SubmitError.closed }
        try await withCheckedThrowingContinuation { continuation in
            pending.append(Pending(event: event, continuation: continuation))
            writerWaiting?.resume()
            writerWaiting = nil
        }
    }

    /// Writes batches until graceful shutdown, then drains what was queued.
    public func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await self.writeUntilClosed()
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
                try await storage.record(batch.map(\.event))
                for item in batch { item.continuation.resume() }
            } catch {
                logger.error("Writing a batch of \(batch.count) view events failed: \(error)")
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
    }
}
