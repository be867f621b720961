import ClickTracker
import PostgresNIO
import Synchronization
import _ConnectionPoolModule

/// Bounds every call to the database server and turns "the server is not there" into
/// ``StorageUnavailable``, failing fast while the server is known to be down.
///
/// A call that fails because the connection could not be made or was lost, or a quick call that
/// gets no answer within the timeout, marks the server down. While it is down, every call fails
/// at once (pages use what they last read, views go to the spool) and no caller waits for the
/// server: one background probe at a time, at most one a second, finds out when it is back and
/// marks it up again. A slow report has a longer limit and never marks the server down.
final class ServerAvailability: Sendable {
    /// What a call does, which sets its time limit.
    enum Call {
        /// Recording views, or the sections lookup every tracked page makes: a missing answer
        /// within the timeout means the server is gone (views go to the spool).
        case quick
        /// A report or a settings change; may legitimately take a while.
        case report
    }

    private struct State {
        var isDown = false
        var isProbing = false
        var lastProbe: ContinuousClock.Instant?
        var reason = ""
    }

    let timeout: Duration
    let readTimeout: Duration
    private let state = Mutex(State())
    private static let probeInterval = Duration.seconds(1)

    /// - Parameters:
    ///   - timeout: The limit of a quick call, and of a probe.
    ///   - readTimeout: The limit of a report.
    init(timeout: Duration, readTimeout: Duration) {
        self.timeout = timeout
        self.readTimeout = readTimeout
    }

    /// `true` while the server is known to be down.
    var isDown: Bool { state.withLock { $0.isDown } }

    /// Runs `operation` against the server within the timeout.
    /// - Parameters:
    ///   - call: What the call does, which sets its limit.
    ///   - probe: A cheap call that succeeds once the server answers again; run in the
    ///     background instead of `operation` when the server is down and a probe is due.
    ///   - operation: The call.
    /// - Throws: ``StorageUnavailable`` if the server is down or does not answer in time;
    ///   otherwise the operation's own error.
    func run<T: Sendable>(
        _ call: Call,
        probe: @escaping @Sendable () async throws -> Void,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let now = ContinuousClock.now
        let (skipped, startsProbe): (String?, Bool) = state.withLock { state in
            guard state.isDown else { return (nil, false) }
            guard !state.isProbing, state.lastProbe.map({ $0.duration(to: now) >= Self.probeInterval }) ?? true else {
                return (state.reason, false)
            }
            state.isProbing = true
            state.lastProbe = now
            return (state.reason, true)
        }
        if startsProbe { Task { await self.runProbe(probe) } }
        if let skipped { throw StorageUnavailable(reason: skipped) }
        do {
            let result = try await Self.withDeadline(call == .quick ? timeout : readTimeout, operation)
            markUp()
            return result
        } catch let error as StorageUnavailable {
            if call == .quick { markDown(error.reason) }
            throw error
        } catch {
            guard let reason = Self.unavailableReason(error) else {
                markUp()
                if let error = error as? PSQLError { throw PostgresRefusal(error) }
                throw error
            }
            markDown(reason)
            throw StorageUnavailable(reason: reason)
        }
    }

    /// Asks the server once, in the background, whether it is back.
    private func runProbe(_ probe: @escaping @Sendable () async throws -> Void) async {
        do {
            try await Self.withDeadline(timeout, probe)
            markUp()
        } catch {
            let reason = (error as? StorageUnavailable)?.reason ?? Self.unavailableReason(error) ?? "\(error)"
            state.withLock { state in
                state.isProbing = false
                state.lastProbe = .now
                state.reason = reason
            }
        }
    }

    private func markUp() {
        state.withLock { $0 = State() }
    }

    private func markDown(_ reason: String) {
        state.withLock { state in
            state.isDown = true
            state.reason = reason
            // The next probe waits its interval from this failure.
            if !state.isProbing { state.lastProbe = .now }
        }
    }

    /// Why `error` means the server cannot be reached, or `nil` if the server answered.
    static func unavailableReason(_ error: any Error) -> String? {
        if let error = error as? PSQLError {
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
                return error.operatorDescription
            case .server:
                // Connection exceptions, shutdown in progress, too many connections.
                let state = error.serverInfo?[.sqlState] ?? ""
                let unavailable = state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state)
                return unavailable ? error.operatorDescription : nil
            default:
                return nil
            }
        }
        if error is ConnectionPoolError { return "no connection to the server could be made" }
        return nil
    }

    /// Runs `operation` and gives up after `timeout` without waiting for it (a call stuck on a
    /// dead connection is abandoned, not awaited).
    private static func withDeadline<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = Outcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.start(continuation)
                let timer = Task {
                    try await Task.sleep(for: timeout)
                    if outcome.finish(.failure(StorageUnavailable(reason: "no answer from the server within \(timeout)"))) {
                        outcome.cancelWork()
                    }
                }
                let work = Task {
                    do { outcome.finish(.success(try await operation())) } catch { outcome.finish(.failure(error)) }
                    timer.cancel()
                }
                outcome.onCancel { work.cancel() }
            }
        } onCancel: {
            outcome.cancel()
        }
    }
}

/// Whichever finishes first — the operation, the deadline or cancellation — resumes the caller.
private final class Outcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var cancelWork: (@Sendable () -> Void)?
        var isCancelled = false
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        let pending: Result<T, any Error>? = state.withLock { state in
            if state.isCancelled { return .failure(CancellationError()) }
            state.continuation = continuation
            return nil
        }
        if let pending { continuation.resume(with: pending) }
    }

    func onCancel(_ cancelWork: @escaping @Sendable () -> Void) {
        let cancelled = state.withLock { state in
            state.cancelWork = cancelWork
            return state.isCancelled
        }
        if cancelled { cancelWork() }
    }

    /// Resumes the caller with `result` unless something else already did; `true` if this did.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let continuation = state.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result)
        return continuation != nil
    }

    func cancelWork() {
        state.withLock { $0.cancelWork }?()
    }

    func cancel() {
        let cancelWork = state.withLock { state in
            state.isCancelled = true
            return state.cancelWork
        }
        cancelWork?()
        finish(.failure(CancellationError()))
    }
}
