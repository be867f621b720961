import ClickTracker
import Foundation
import PostgresNIO

extension PostgresStore {
    /// View rows removed per statement, so that recording is never held up for long.
    static let purgeBatch = 10_000

    /// Each batch is its own call, so a long backlog is never one statement that runs into the
    /// report timeout.
    @discardableResult
    public func purgeViews(before cutoff: Date, everything: Bool) async throws -> Int {
        let (client, logger) = (client, logger)
        var removed = 0
        while true {
            let batch = try await run(.report) {
                let rows = try await client.query(
                    """
                    WITH gone AS (
                        DELETE FROM view WHERE id IN (SELECT id FROM view WHERE viewed_at < \(cutoff) LIMIT \(Self.purgeBatch)) RETURNING 1
                    )
                    SELECT count(*) FROM gone
                    """,
                    logger: logger
                )
                var count = 0
                for try await value in rows.decode(Int.self) { count = value }
                return count
            }
            removed += batch
            if batch < Self.purgeBatch { break }
        }
        if everything {
            try await run(.report) {
                let rows = try await client.query(
                    """
                    WITH readings AS (DELETE FROM reading WHERE last_view < \(cutoff))
                    DELETE FROM click WHERE last_access < \(cutoff)
                    """,
                    logger: logger
                )
                for try await _ in rows {}
            }
        }
        return removed
    }

    public func openings(under section: SectionPath) async throws -> [Date] {
        let (client, logger) = (client, logger)
        let (exact, lower, upper) = (section.value, section.value + "/", section.value + "0")
        let everything = section.isRoot
        return try await run(.report) {
            let rows = try await client.query(
                """
                SELECT min(r.first_view) AS opened FROM reading r JOIN document d ON d.id = r.document_id
                WHERE (\(everything) OR d.path = \(exact) OR (d.path >= \(lower) AND d.path < \(upper)))
                GROUP BY r.member ORDER BY opened
                """,
                logger: logger
            )
            var dates: [Date] = []
            for try await date in rows.decode(Date.self) { dates.append(date) }
            return dates
        }
    }
}
