/// A place that keeps verified reads and the tracked sections: the seed's `IClickStorage`, grown.
///
/// Every store passes the same conformance suite. Implementations must be safe to call
/// concurrently and must make a batch durable before `record(_:)` returns.
public protocol ClickStorage: Sendable {
    /// Writes a batch of verified view events in one transaction.
    ///
    /// A render id that is already stored is skipped, so replaying a batch changes nothing.
    /// - Parameter events: The events to write.
    /// - Returns: How many events were new.
    @discardableResult
    func record(_ events: [ViewEvent]) async throws -> Int

    /// Reads one page of the access log under a section, grouped by member and URL.
    /// - Parameter query: Section, ordering and page.
    func accessLog(_ query: AccessLogQuery) async throws -> AccessLogPage

    /// All tracked sections.
    func trackedSections() async throws -> [SectionPath]

    /// Marks or unmarks a section for tracking.
    /// - Parameters:
    ///   - section: The section to change.
    ///   - tracked: `true` to mark it, `false` to unmark it.
    func setTracked(_ section: SectionPath, _ tracked: Bool) async throws

    /// Counts of what the store holds.
    func statistics() async throws -> StorageStatistics

    /// Recorded views in the order they were stored, for copying one store into another.
    /// - Parameters:
    ///   - position: Only views after this position (`0` for the first page).
    ///   - limit: The most views returned.
    func views(after position: Int64, limit: Int) async throws -> [StoredView]

    /// How many of `renderIDs` are recorded.
    func countRecorded(renderIDs: [String]) async throws -> Int

    /// Closes the store; no calls may follow.
    func close() async throws
}
