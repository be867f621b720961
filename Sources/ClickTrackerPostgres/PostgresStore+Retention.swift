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
                        DELETE FROM view WHERE id IN (SELECT id FROM view WHERE viewed_at < \(cutoff) LIMIT \(Self.purgeBatch)) RETURNING id
                    ),
                    removal AS (\(unescaped: Self.removalEntry(.retention, views: "gone")))
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
                    WITH readings AS (DELETE FROM reading WHERE last_view < \(cutoff) RETURNING acknowledged_render),
                         removal AS (\(unescaped: Self.removalEntry(.retention, readings: "readings"))),
                         clicks AS (DELETE FROM click WHERE last_access < \(cutoff) RETURNING document_id),
                         readers AS (DELETE FROM document_reader WHERE last_view < \(cutoff) RETURNING document_id)
                    \(unescaped: Self.lowerTotals)
                    """,
                    logger: logger
                )
                for try await _ in rows {}
                // A reader's row that lost some versions is summed again (after the deletions above).
                let summed = try await client.query(
                    """
                    UPDATE document_reader dr SET views = s.views, first_view = s.first_view
                    FROM (
                        SELECT r.member, r.document_id, sum(r.views)::integer AS views, min(r.first_view) AS first_view
                        FROM reading r JOIN document_reader x ON x.member = r.member AND x.document_id = r.document_id
                        WHERE x.first_view < \(cutoff)
                        GROUP BY r.member, r.document_id
                    ) AS s
                    WHERE s.member = dr.member AND s.document_id = dr.document_id
                    """,
                    logger: logger
                )
                for try await _ in summed {}
                try await client.query("SELECT clicktracker_set_progress_aside(NULL)", logger: logger)
            }
        }
        return removed
    }

    public func openings(under section: SectionPath) async throws -> [Date] {
        let (client, logger) = (client, logger)
        let (exact, lower, upper) = (section.value, section.value + "/", section.value + "0")
        let everything = section.isRoot
        return try await run(.report) {
            let totals = try await client.query(
                """
                SELECT coalesce(sum(d.reader_rows), 0)::bigint FROM document d
                WHERE \(everything) OR d.path = \(exact) OR (d.path >= \(lower) AND d.path < \(upper))
                """,
                logger: logger
            )
            var rows = 0
            for try await total in totals.decode(Int.self) { rows = total }
            // A large section: each member (found by skipping through the primary key) with their
            // first opening in it (their readings by first view, up to the first in the section).
            let query: PostgresQuery =
                rows <= Self.smallReport
                ? """
                SELECT min(r.first_view) AS opened FROM document_reader r JOIN document d ON d.id = r.document_id
                WHERE \(everything) OR d.path = \(exact) OR (d.path >= \(lower) AND d.path < \(upper))
                GROUP BY r.member ORDER BY opened
                """
                : """
                WITH RECURSIVE members (member) AS (
                    (SELECT member FROM document_reader ORDER BY member LIMIT 1)
                    UNION ALL
                    SELECT (SELECT r.member FROM document_reader r WHERE r.member > m.member ORDER BY r.member LIMIT 1)
                    FROM members m WHERE m.member IS NOT NULL
                )
                SELECT o.opened FROM members m
                CROSS JOIN LATERAL (
                    SELECT r.first_view AS opened FROM document_reader r JOIN document d ON d.id = r.document_id
                    WHERE r.member = m.member AND (\(everything) OR d.path = \(exact) OR (d.path >= \(lower) AND d.path < \(upper)))
                    ORDER BY r.first_view LIMIT 1
                ) AS o
                WHERE m.member IS NOT NULL
                ORDER BY o.opened
                """
            var dates: [Date] = []
            for try await date in try await client.query(query, logger: logger).decode(Date.self) { dates.append(date) }
            return dates
        }
    }

    /// An `UPDATE` that lowers the report totals of documents by the rows deleted in the same
    /// statement, by the common table expressions `clicks` and `readers` (each returning `document_id`).
    static let lowerTotals = """
        UPDATE document d SET click_rows = d.click_rows - t.clicks, reader_rows = d.reader_rows - t.readers
        FROM (
            SELECT a.id, count(*) FILTER (WHERE a.kind = 1) AS clicks, count(*) FILTER (WHERE a.kind = 2) AS readers
            FROM (SELECT document_id AS id, 1 AS kind FROM clicks UNION ALL SELECT document_id, 2 FROM readers) AS a
            GROUP BY a.id
        ) AS t
        WHERE d.id = t.id
        """

    /// Above this many rows a section's openings are found member by member, below by grouping.
    static let smallReport = 20_000
}
