import ClickTrackerHummingbird
import Hummingbird
import NIOCore

/// The request context of the standalone server: the signed-in user, the reader named by a
/// trusted proxy or upstream, and the tracking state.
public struct ServerRequestContext: ClickTrackerRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The signed-in user, set by the session middleware.
    public var user: User?
    /// The signed-in session, set with ``user``.
    public var session: Session?
    /// The session's nonce, from which the CSRF token is derived.
    public var sessionNonce: String? { session?.nonce }
    /// The reader named by a trusted identity header or the reader cookie (proxy mode).
    public var forwardedMember: String?
    /// Whether the signed-in user counts as the reader (the built-in site; not in front of an upstream).
    public var sessionUserIsReader = true
    /// The address the request came from.
    public let remoteAddress: SocketAddress?
    public let clickTracker = ClickTrackerRequestState()

    public var clickTrackerMember: String? { forwardedMember ?? (sessionUserIsReader ? user?.name : nil) }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
