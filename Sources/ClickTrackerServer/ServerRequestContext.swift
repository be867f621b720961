import ClickTrackerHummingbird
import Hummingbird

/// The request context of the standalone server: the signed-in user and the tracking state.
public struct ServerRequestContext: ClickTrackerRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The signed-in user, set by the session middleware.
    public var user: User?
    /// The session's nonce, from which the CSRF token is derived.
    public var sessionNonce: String?
    public let clickTracker = ClickTrackerRequestState()

    public var clickTrackerMember: String? { user?.name }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
