import ClickTracker
import Foundation
import SQLiteNIO

extension SQLiteStore {
    /// View rows removed per transaction, so that recording is never held up for long.
    static let purgeBatch = 10_000

    @discardableResult
    public func purgeViews(before cutoff: Date, everything: Bool) async throws -> Int {
        let limit = SQLiteData.integer(Self.milliseconds(cutoff))
        var removed = 0
        while true {
            let batch = try await transaction { connection in
                _ = try await connection.query(
                    "DELETE FROM view WHERE id IN (SELECT id FROM view WHERE viewed_at < ? LIMIT ?)",
                    [limit, .integer(Self.purgeBatch)]
                )
                return try await connection.query("SELECT changes() AS removed").first?.column("removed")?.integer ?? 0
            }
            removed += batch
            if batch < Self.purgeBatch { break }
        }
        if everything {
            try await transaction { connection in
                _ = try await connection.query("DELETE FROM reading WHERE last_view < ?", [limit])
                _ = try await connection.query("DELETE FROM click WHERE last_access < ?", [limit])
            }
        }
        return removed
    }

    public func openings(under section: SectionPath) async throws -> [Date] {
        let (filter, binds) = Self.sectionFilter(section)
        return try await reader.query(
            """
            SELECT min(r.first_view) AS opened FROM reading r JOIN document d ON d.id = r.document_id
            WHERE \(filter) GROUP BY r.member ORDER BY opened
            """,
            binds
        ).map { Self.date($0.column("opened")) }
    }
}
