import ClickTracker
import SQLiteNIO

extension SQLiteStore {
    /// SQL that is true when the `reading` row meets the reading time of its document's section:
    /// the nearest marked section's policy, the standard one outside any (as
    /// ``ReadingPolicy/requiredMilliseconds(words:)`` and ``ReadingVerdict`` judge it).
    static let meetsReadingTime = """
        EXISTS (
            SELECT 1 FROM (
                SELECT coalesce(s.words_per_minute, \(ReadingPolicy.standard.wordsPerMinute)) AS words_per_minute,
                       coalesce(s.maximum_seconds, \(ReadingPolicy.standard.maximumSeconds)) AS maximum_seconds,
                       coalesce(s.minimum_seconds, \(ReadingPolicy.standard.minimumSeconds)) AS minimum_seconds
                FROM document d LEFT JOIN section s ON d.path = s.path OR (d.path >= s.path || '/' AND d.path < s.path || '0')
                WHERE d.id = reading.document_id
                ORDER BY length(s.path) DESC LIMIT 1
            ) AS p
            WHERE reading.active_ms >= CASE WHEN coalesce(reading.words, 0) > 0
                                            THEN min(p.maximum_seconds * 1000, reading.words * 60000 / p.words_per_minute)
                                            ELSE p.maximum_seconds * 1000 END
               OR (reading.reached_end AND reading.active_ms >= p.minimum_seconds * 1000)
        )
        """

    /// Dates the readings a batch changed that now meet their reading time for the first time,
    /// each with the time of the batch's last event for it. Without active time only a policy that
    /// asks for none can be met, so a batch of new views is judged without looking up policies.
    static func dateReadings(_ changed: [ReadingKey: Int], on connection: SQLiteWriteConnection) throws {
        let touched = changed.sorted { ($0.key.member, $0.key.documentID, $0.key.version) < ($1.key.member, $1.key.documentID, $1.key.version) }
        for chunk in touched.chunks(of: rowsPerStatement) {
            _ = try connection.query(
                """
                UPDATE reading SET read_at = t.at
                FROM (SELECT column1 AS member, column2 AS document_id, column3 AS version, column4 AS at
                      FROM (VALUES \(placeholders(rows: chunk.count, columns: 4)))) AS t
                WHERE reading.member = t.member AND reading.document_id = t.document_id AND reading.version = t.version
                  AND reading.read_at IS NULL
                  AND (reading.active_ms > 0 OR EXISTS (SELECT 1 FROM section s WHERE s.maximum_seconds = 0 OR s.minimum_seconds = 0))
                  AND \(meetsReadingTime)
                """,
                chunk.flatMap { $0.key.bindings + [.integer($0.value)] }
            )
        }
    }

    /// Judges the readings of documents at or below `section` again under the policies that now
    /// apply (see ``ClickStorage/setPolicy(_:for:)``).
    /// - Parameter keepEarlierDates: Whether a reading that met its reading time before keeps its
    ///   date (no requirement rose); otherwise it is dated when its active time was last credited.
    static func judgeReadingsAgain(under section: SectionPath, keepEarlierDates: Bool, on connection: SQLiteWriteConnection) throws {
        let (filter, binds) = sectionFilter(section)
        _ = try connection.query(
            """
            UPDATE reading SET read_at = CASE WHEN \(meetsReadingTime)
                                              THEN CASE WHEN ? AND read_at IS NOT NULL THEN read_at ELSE credited_at END END
            WHERE document_id IN (SELECT d.id FROM document d WHERE \(filter))
            """,
            [.integer(keepEarlierDates ? 1 : 0)] + binds
        )
        // A policy also decides whether a reading needs a confirmation or a re-read: every
        // request's progress is summed up again.
        try setProgressAside(requestID: nil, on: connection)
    }
}
