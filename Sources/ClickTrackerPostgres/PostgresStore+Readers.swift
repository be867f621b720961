import ClickTracker
import Foundation
import PostgresNIO

extension PostgresStore {
    public func readers(_ query: ReadersQuery) async throws -> ReadersPage {
        try await run(.report) { try await self.readReaders(query) }
    }

    private func readReaders(_ query: ReadersQuery) async throws -> ReadersPage {
        let section = query.section
        let (exact, lower, upper) = (section.value, section.value + "/", section.value + "0")
        let everything = section.isRoot
        let groups = try await client.query(
            """
            SELECT r.member AS member, r.document_id AS document_id, min(d.path) AS path, sum(r.views)::bigint AS views,
                   min(r.first_view) AS first_view, max(r.last_view) AS last_view, count(*) OVER () AS total
            FROM reading r JOIN document d ON d.id = r.document_id
            WHERE (\(everything) OR d.path = \(exact) OR (d.path >= \(lower) AND d.path < \(upper)))
              AND (\(query.member)::text IS NULL OR r.member = \(query.member))
            GROUP BY r.member, r.document_id
            ORDER BY \(unescaped: query.sqlOrderBy)
            LIMIT \(query.limit) OFFSET \(query.offset)
            """,
            logger: logger
        )
        var keys: [(member: String, documentID: Int64)] = []
        var total = 0
        for try await (member, documentID, _, _, _, _, all) in groups.decode((String, Int64, String, Int, Date, Date, Int).self) {
            keys.append((member, documentID))
            total = all
        }
        if keys.isEmpty, query.offset > 0 {
            let rows = try await client.query(
                """
                SELECT count(*) FROM (
                    SELECT 1 FROM reading r JOIN document d ON d.id = r.document_id
                    WHERE (\(everything) OR d.path = \(exact) OR (d.path >= \(lower) AND d.path < \(upper)))
                      AND (\(query.member)::text IS NULL OR r.member = \(query.member))
                    GROUP BY r.member, r.document_id
                ) AS groups
                """,
                logger: logger
            )
            for try await count in rows.decode(Int.self) { total = count }
        }
        guard !keys.isEmpty else { return ReadersPage(readers: [], total: total) }
        let rows = try await client.query(
            """
            SELECT r.member, r.document_id, r.version, r.words, r.views, r.first_view, r.last_view, r.active_ms, r.max_scroll,
                   r.reached_end, r.automated, r.acknowledged_at, d.key, d.path, d.title, d.version
            FROM reading r JOIN document d ON d.id = r.document_id
            JOIN unnest(\(keys.map(\.member)), \(keys.map(\.documentID))) AS k (member, document_id)
              ON k.member = r.member AND k.document_id = r.document_id
            """,
            logger: logger
        )
        var documents: [String: (DocumentReference, String?)] = [:]
        var versions: [String: [ReaderSummary.VersionEvidence]] = [:]
        for try await row in rows {
            let (member, documentID, version, words, views, first, last, active) = try row.decode(
                (String, Int64, String, Int?, Int, Date, Date, Int).self
            )
            let columns = row.makeRandomAccess()
            let key = "\(documentID) \(member)"
            documents[key] = (
                DocumentReference(
                    key: try columns[12].decode(String.self),
                    path: try columns[13].decode(String.self),
                    title: try columns[14].decode(String?.self)
                ),
                try columns[15].decode(String?.self)
            )
            versions[key, default: []].append(
                ReaderSummary.VersionEvidence(
                    version: version.isEmpty ? nil : version,
                    words: words,
                    views: views,
                    firstView: first,
                    lastView: last,
                    activeMilliseconds: active,
                    maximumScroll: try columns[8].decode(Int.self),
                    reachedEnd: try columns[9].decode(Bool.self),
                    automated: try columns[10].decode(Bool.self),
                    acknowledgedAt: try columns[11].decode(Date?.self)
                )
            )
        }
        let readers = keys.compactMap { member, documentID -> ReaderSummary? in
            let key = "\(documentID) \(member)"
            guard let (document, current) = documents[key], let evidence = versions[key] else { return nil }
            return ReaderSummary(member: member, document: document, currentVersion: current, versions: evidence)
        }
        return ReadersPage(readers: readers, total: total)
    }
}
