import Foundation

/// How much a store holds, for the control panel and for comparing a copy with its source.
public struct StorageStatistics: Sendable, Equatable {
    /// Documents known.
    public var documents: Int
    /// Recorded views (one per render).
    public var views: Int
    /// Access-log rows (per member, document and URL).
    public var clickRows: Int
    /// Sum of the access-log counts.
    public var clicks: Int
    /// Tracked sections.
    public var sections: Int

    /// Creates statistics.
    public init(documents: Int, views: Int, clickRows: Int, clicks: Int, sections: Int) {
        self.documents = documents
        self.views = views
        self.clickRows = clickRows
        self.clicks = clicks
        self.sections = sections
    }
}

/// A recorded view as it is stored, with its position in the store (for reading in order).
public struct StoredView: Sendable, Equatable {
    /// Position in the store; later views have larger ones.
    public var position: Int64
    /// The view, with the document's current path and title, its version and attention.
    public var event: ViewEvent
    /// When the member acknowledged the document from this render, if they did.
    public var acknowledgedAt: Date?

    /// Creates a stored view.
    public init(position: Int64, event: ViewEvent, acknowledgedAt: Date? = nil) {
        self.position = position
        self.event = event
        self.acknowledgedAt = acknowledgedAt
    }

    /// The events that re-create this view in another store: the view, then its acknowledgement.
    public var events: [ViewEvent] {
        guard let acknowledgedAt else { return [event] }
        var acknowledgement = event
        acknowledgement.kind = .acknowledgement
        acknowledgement.attention = nil
        acknowledgement.viewedAt = acknowledgedAt
        return [event, acknowledgement]
    }
}
