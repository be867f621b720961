import ClickTracker

/// A batch's contribution to one row of the `reading` table: one member's new views of one
/// version of one document.
struct ReadingSummary: Hashable {
    var member: String
    var documentID: Int
    /// The version id, `""` when unknown.
    var version: String
    var words: Int?
    var views: Int
    var firstView: Int
    var lastView: Int
    var activeMilliseconds: Int
    var maximumScroll: Int
    var reachedEnd: Bool
    var automated: Bool

    /// Folds new view events into one summary per (member, document, version).
    static func summarise(_ events: [ViewEvent], documentIDs: [String: Int]) -> [ReadingSummary] {
        var summaries: [[String]: ReadingSummary] = [:]
        for event in events {
            let documentID = documentIDs[event.document.key] ?? 0
            let version = event.version?.id ?? ""
            let viewedAt = SQLiteStore.milliseconds(event.viewedAt)
            let attention = event.attention ?? .none
            let key = [event.member, String(documentID), version]
            var summary =
                summaries[key]
                ?? ReadingSummary(
                    member: event.member,
                    documentID: documentID,
                    version: version,
                    words: nil,
                    views: 0,
                    firstView: viewedAt,
                    lastView: viewedAt,
                    activeMilliseconds: 0,
                    maximumScroll: 0,
                    reachedEnd: false,
                    automated: false
                )
            summary.words = event.version?.words ?? summary.words
            summary.views += 1
            summary.firstView = min(summary.firstView, viewedAt)
            summary.lastView = max(summary.lastView, viewedAt)
            summary.activeMilliseconds += attention.activeMilliseconds
            summary.maximumScroll = max(summary.maximumScroll, attention.scrollPercent)
            summary.reachedEnd = summary.reachedEnd || attention.reachedEnd
            summary.automated = summary.automated || attention.automated
            summaries[key] = summary
        }
        return Array(summaries.values)
    }
}
