import Foundation

/// A spooled event the store refused on replay, the same way twice: kept in the spool's
/// rejected file with the store's reason until an operator puts it back.
public struct SetAsideEvent: Sendable, Codable {
    /// The event, as it was acknowledged.
    public var event: ViewEvent
    /// What the store said when it refused the event.
    public var reason: String
    /// When it was set aside (`nil` for events set aside before times were kept).
    public var at: Date?

    /// Creates an entry.
    public init(event: ViewEvent, reason: String, at: Date? = Date()) {
        self.event = event
        self.reason = reason
        self.at = at
    }
}
