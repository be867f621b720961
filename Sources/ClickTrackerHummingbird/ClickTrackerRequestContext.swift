import Hummingbird
import NIOConcurrencyHelpers

/// A request context that tells ClickTracker who is signed in and lets any handler opt the
/// request out of tracking.
public protocol ClickTrackerRequestContext: RequestContext {
    /// The signed-in member's name; `nil` for anonymous requests, which are never tracked.
    var clickTrackerMember: String? { get }
    /// Per-request tracking state, shared by every copy of the context.
    var clickTracker: ClickTrackerRequestState { get }
}

/// Per-request tracking state: the seed's `IContentIsIgnored` marker.
///
/// Contexts are values passed down the middleware chain; this state is a shared box so that a
/// route handler deep inside can still opt its page out after the tracking middleware has run.
public struct ClickTrackerRequestState: Sendable {
    private let ignored = NIOLockedValueBox(false)

    /// Creates state for a new request.
    public init() {}

    /// `true` once the request was opted out.
    public var isIgnored: Bool { ignored.withLockedValue { $0 } }

    /// Opts this request out: its response gets no tracking script.
    public func ignore() {
        ignored.withLockedValue { $0 = true }
    }
}
