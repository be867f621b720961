import ClickTracker
import Logging
import Synchronization

/// Sessions ended by signing out, kept in the store so that a copy of the cookie stops working
/// on every instance sharing it.
///
/// Each instance remembers for two seconds that a session was not ended (and for good that it
/// was), so a busy reader costs one look-up every two seconds; a sign-out on another instance
/// takes effect here within that time. While the store cannot be reached, what was last known
/// holds, and a session never seen is taken as not ended (its signature and expiry still count).
final class EndedSessions: Sendable {
    private struct Known {
        var isEnded: Bool
        var checkedAt: ContinuousClock.Instant
    }

    private let storage: any ClickStorage
    private let logger: Logger
    /// What is known, by session nonce (the store knows sessions by ``Session/id``, a hash of it).
    private let known = Mutex<[String: Known]>([:])
    private static let recheckAfter = Duration.seconds(2)

    init(storage: any ClickStorage, logger: Logger) {
        self.storage = storage
        self.logger = logger
    }

    /// `true` if the session was ended by signing out, here or on another instance.
    func isEnded(_ session: Session) async -> Bool {
        let now = ContinuousClock.now
        let cached = known.withLock { $0[session.nonce] }
        if let cached, cached.isEnded || cached.checkedAt.duration(to: now) < Self.recheckAfter { return cached.isEnded }
        do {
            let isEnded = try await storage.isSessionEnded(id: session.id)
            remember(session.nonce, isEnded: isEnded, at: now)
            return isEnded
        } catch {
            logger.warning("Cannot check whether a session was signed out: \(error)")
            return cached?.isEnded ?? false
        }
    }

    /// Ends a session for good, on every instance; here at once even if the store cannot be reached.
    /// - Throws: The store's error; the session is still ended on this instance.
    func end(_ session: Session) async throws {
        remember(session.nonce, isEnded: true, at: .now)
        try await storage.endSession(id: session.id, expiresAt: session.expiresAt)
    }

    private func remember(_ nonce: String, isEnded: Bool, at now: ContinuousClock.Instant) {
        known.withLock { known in
            if known.count >= 10_000 {
                // Forget what needs checking again anyway; sessions known to be ended stay.
                known = known.filter { $0.value.isEnded || $0.value.checkedAt.duration(to: now) < Self.recheckAfter }
            }
            known[nonce] = Known(isEnded: isEnded, checkedAt: now)
        }
    }
}
