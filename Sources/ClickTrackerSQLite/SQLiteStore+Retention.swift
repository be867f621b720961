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
                let removed = try connection.query(
                    "DELETE FROM view WHERE id IN (SELECT id FROM view WHERE viewed_at < ? LIMIT ?) RETURNING id",
                    [limit, .integer(Self.purgeBatch)]
                ).compactMap { $0.column("id")?.integer }
                try Self.appendRemoval(.retention, views: removed, acknowledged: [], on: connection)
                return removed.count
            }
            removed += batch
            if batch < Self.purgeBatch { break }
        }
        if everything {
            try await transaction { connection in
                let acknowledged = try connection.query("DELETE FROM reading WHERE last_view < ? RETURNING acknowledged_render", [limit])
                    .compactMap { $0.column("acknowledged_render")?.string }
                try Self.appendRemoval(.retention, views: [], acknowledged: acknowledged, on: connection)
                _ = try connection.query("DELETE FROM click WHERE last_access < ?", [limit])
                // A reader's row goes with their last version; one that lost some versions is summed again.
                _ = try connection.query("DELETE FROM document_reader WHERE last_view < ?", [limit])
                _ = try connection.query(
                    """
                    UPDATE document_reader SET
                        views = (SELECT sum(r.views) FROM reading r WHERE r.member = document_reader.member AND r.document_id = document_reader.document_id),
                        first_view = (SELECT min(r.first_view) FROM reading r
                                      WHERE r.member = document_reader.member AND r.document_id = document_reader.document_id)
                    WHERE first_view < ?
                    """,
                    [limit]
                )
                try Self.setProgressAside(requestID: nil, on: connection)
            }
        }
        return removed
    }

    public func openings(under section: SectionPath) async throws -> [Date] {
        let (filter, binds) = Self.sectionFilter(section)
        let rows = try await reader.query("SELECT coalesce(sum(d.reader_rows), 0) AS total FROM document d WHERE \(filter)", binds)
        guard rows.first?.column("total")?.integer ?? 0 > Self.smallReport else {
            return try await reader.query(
                """
                SELECT min(r.first_view) AS opened FROM document_reader r JOIN document d ON d.id = r.document_id
                WHERE \(filter) GROUP BY r.member ORDER BY opened
                """,
                binds
            ).map { Self.date($0.column("opened")) }
        }
        // A large section: each member (found by skipping through the primary key) with their
        // first opening in it (their readings by first view, up to the first in the section).
        return try await reader.query(
            """
            WITH RECURSIVE members(member) AS (
                SELECT min(member) FROM document_reader
                UNION ALL
                SELECT (SELECT min(r.member) FROM document_reader r WHERE r.member > members.member) FROM members WHERE members.member IS NOT NULL
            )
            SELECT opened FROM (
                SELECT (SELECT r.first_view FROM document_reader r INDEXED BY document_reader_opened JOIN document d ON d.id = r.document_id
                        WHERE r.member = members.member AND \(filter) ORDER BY r.first_view LIMIT 1) AS opened
                FROM members WHERE members.member IS NOT NULL
            ) WHERE opened IS NOT NULL ORDER BY opened
            """,
            binds
        ).map { Self.date($0.column("opened")) }
    }
}
