import ClickTracker

/// A batch's contribution to one row of the `click` table: one member's new views of one
/// document at one URL.
struct ClickSummary: Hashable {
    var member: String
    var documentID: Int
    var url: String
    var count: Int
    var firstAccess: Int
    var lastAccess: Int

    /// Folds new view events into one summary per (member, document, URL).
    static func summarise(_ events: [ViewEvent], documentIDs: [String: Int]) -> [ClickSummary] {
        var summaries: [[String]: ClickSummary] = [:]
        for event in events {
            let documentID = documentIDs[event.document.key] ?? 0
            let viewedAt = SQLiteStore.milliseconds(event.viewedAt)
            let key = [event.member, String(documentID), event.url]
            if var summary = summaries[key] {
                summary.count += 1
                summary.firstAccess = min(summary.firstAccess, viewedAt)
                summary.lastAccess = max(summary.lastAccess, viewedAt)
                summaries[key] = summary
            } else {
                summaries[key] = ClickSummary(
                    member: event.member,
                    documentID: documentID,
                    url: event.url,
                    count: 1,
                    firstAccess: viewedAt,
                    lastAccess: viewedAt
                )
            }
        }
        return Array(summaries.values)
    }
}
