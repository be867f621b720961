import Foundation

/// What the store knows about one render's attention, and the rule that admits a new report.
///
/// The SQL stores follow the same rule (PostgreSQL in `clicktracker_record`); the conformance
/// suite holds them to it.
public struct RenderProgress: Sendable, Hashable {
    /// When the render's token was issued.
    public var issuedAt: Date
    /// Active time accepted so far, in milliseconds.
    public var activeMilliseconds: Int
    /// The furthest scroll accepted, in percent.
    public var maximumScroll: Int
    /// Whether the end was reached.
    public var reachedEnd: Bool
    /// Whether automation was seen.
    public var automated: Bool
    /// The number of the last report accepted.
    public var sequence: Int
    /// When the last report (or the view) was received.
    public var reportedAt: Date
    /// Whether the final report was received.
    public var finished: Bool

    /// Creates the progress of a render.
    public init(
        issuedAt: Date,
        activeMilliseconds: Int = 0,
        maximumScroll: Int = 0,
        reachedEnd: Bool = false,
        automated: Bool = false,
        sequence: Int = 0,
        reportedAt: Date,
        finished: Bool = false
    ) {
        self.issuedAt = issuedAt
        self.activeMilliseconds = activeMilliseconds
        self.maximumScroll = maximumScroll
        self.reachedEnd = reachedEnd
        self.automated = automated
        self.sequence = sequence
        self.reportedAt = reportedAt
        self.finished = finished
    }

    /// Applies a report received at `receivedAt`; `final` for the page's last report.
    ///
    /// A report is refused after the final one and ignored unless its number is above the last
    /// accepted one (a replay or an overtaken heartbeat). Its active time counts only up to the
    /// time the server saw pass since the last accepted report and since the token was issued.
    /// - Returns: The outcome and the active milliseconds added.
    public mutating func apply(_ report: Attention, final: Bool, receivedAt: Date) -> (outcome: RecordOutcome, addedMilliseconds: Int) {
        if finished { return (.finishedRender, 0) }
        guard report.sequence > sequence else { return (.unchanged, 0) }
        let sinceLast = Self.milliseconds(receivedAt.timeIntervalSince(reportedAt))
        let sinceIssue = Self.milliseconds(receivedAt.timeIntervalSince(issuedAt))
        let allowed = min(report.activeMilliseconds, activeMilliseconds + sinceLast, sinceIssue)
        let active = max(activeMilliseconds, allowed)
        let added = active - activeMilliseconds
        activeMilliseconds = active
        maximumScroll = max(maximumScroll, report.scrollPercent)
        reachedEnd = reachedEnd || report.reachedEnd
        automated = automated || report.automated
        sequence = report.sequence
        reportedAt = max(reportedAt, receivedAt)
        finished = final
        return (.recorded, added)
    }

    /// Whole milliseconds in an interval, rounded down.
    static func milliseconds(_ interval: TimeInterval) -> Int {
        Int((interval * 1000).rounded(.down))
    }
}
