import ClickTracker
import Foundation
import PostgresNIO

extension PostgresStore {
    public func readingRequests() async throws -> [ReadingRequest] {
        try await run(.report) { try await self.readRequests(id: nil) }
    }

    public func readingRequest(id: Int64) async throws -> ReadingRequest? {
        try await run(.report) { try await self.readRequests(id: id).first }
    }

    private func readRequests(id: Int64?) async throws -> [ReadingRequest] {
        let rows = try await client.query(
            """
            SELECT r.id, r.title, r.path, r.group_name, r.deadline, r.time_zone, r.created_at, r.created_by,
                   coalesce((SELECT array_agg(m.member ORDER BY m.member COLLATE "C") FROM request_member m WHERE m.request_id = r.id), '{}')
            FROM reading_request r
            WHERE \(id == nil) OR r.id = \(id ?? 0)
            ORDER BY r.deadline, r.id
            """,
            logger: logger
        )
        var requests: [ReadingRequest] = []
        let columns = (Int64, String, String, String?, Date, String, Date, String, [String]).self
        for try await (id, title, path, group, deadline, timeZone, createdAt, createdBy, members) in rows.decode(columns) {
            guard let section = try? SectionPath(path) else { continue }
            requests.append(
                ReadingRequest(
                    id: id,
                    title: title,
                    path: section,
                    group: group,
                    members: members,
                    deadline: deadline,
                    timeZone: timeZone,
                    createdAt: createdAt,
                    createdBy: createdBy
                )
            )
        }
        return requests
    }

    @discardableResult
    public func addReadingRequest(_ request: ReadingRequest) async throws -> Int64 {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                WITH created AS (
                    INSERT INTO reading_request (title, path, group_name, deadline, time_zone, created_at, created_by)
                    VALUES (\(request.title), \(request.path.value), \(request.group), \(request.deadline), \(request.timeZone),
                            \(request.createdAt), \(request.createdBy))
                    RETURNING id
                ),
                members AS (
                    INSERT INTO request_member (request_id, member)
                    SELECT created.id, m FROM created, unnest(\(Array(Set(request.members)).sorted())::text[]) AS m
                )
                SELECT id FROM created
                """,
                logger: logger
            )
            for try await id in rows.decode(Int64.self) { return id }
            return 0
        }
    }

    @discardableResult
    public func deleteReadingRequest(id: Int64) async throws -> Bool {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            var deleted = false
            for try await _ in try await client.query("DELETE FROM reading_request WHERE id = \(id) RETURNING id", logger: logger).decode(Int64.self)
            {
                deleted = true
            }
            return deleted
        }
    }

    public func requestEvidence(section: SectionPath, members: [String], until: Date?) async throws -> RequestEvidence {
        try await run(.report) { try await self.readEvidence(section: section, members: members, until: until) }
    }

    private func readEvidence(section: SectionPath, members: [String], until: Date?) async throws -> RequestEvidence {
        let (exact, lower, upper, everything) = (section.value, section.value + "/", section.value + "0", section.isRoot)
        let documentRows = try await client.query(
            """
            SELECT d.key, d.path, d.title FROM document d
            WHERE \(everything) OR d.path = \(exact) OR (d.path >= \(lower) AND d.path < \(upper))
            ORDER BY d.path, d.key COLLATE "C"
            """,
            logger: logger
        )
        var documents: [DocumentReference] = []
        for try await (key, path, title) in documentRows.decode((String, String, String?).self) {
            documents.append(DocumentReference(key: key, path: path, title: title))
        }
        let limit = until ?? Date.distantFuture
        let rows = try await client.query(
            """
            SELECT v.member, d.key, d.path, max(d.title), max(d.version), coalesce(v.version, ''), max(v.words), count(*)::bigint,
                   min(v.viewed_at), max(v.viewed_at), least(sum(v.active_ms), coalesce(max(r.active_ms), sum(v.active_ms)))::bigint,
                   max(v.max_scroll), bool_or(v.reached_end), bool_or(v.automated),
                   CASE WHEN max(r.acknowledged_at) <= \(limit) THEN max(r.acknowledged_at) END
            FROM view v JOIN document d ON d.id = v.document_id
            LEFT JOIN reading r ON r.member = v.member AND r.document_id = v.document_id AND r.version = coalesce(v.version, '')
            WHERE (\(everything) OR d.path = \(exact) OR (d.path >= \(lower) AND d.path < \(upper)))
              AND v.member = ANY(\(Array(Set(members)))) AND v.viewed_at <= \(limit)
            GROUP BY v.member, d.id, d.key, d.path, coalesce(v.version, '')
            """,
            logger: logger
        )
        var versions: [[String]: (document: DocumentReference, current: String?, evidence: [ReaderSummary.VersionEvidence])] = [:]
        for try await row in rows {
            let (member, key, path, title, current, version, words, views) = try row.decode(
                (String, String, String, String?, String?, String, Int?, Int).self
            )
            let columns = row.makeRandomAccess()
            let evidence = ReaderSummary.VersionEvidence(
                version: version.isEmpty ? nil : version,
                words: words,
                views: views,
                firstView: try columns[8].decode(Date.self),
                lastView: try columns[9].decode(Date.self),
                activeMilliseconds: try columns[10].decode(Int.self),
                maximumScroll: try columns[11].decode(Int.self),
                reachedEnd: try columns[12].decode(Bool.self),
                automated: try columns[13].decode(Bool.self),
                acknowledgedAt: try columns[14].decode(Date?.self)
            )
            let document = DocumentReference(key: key, path: path, title: title)
            versions[[member, key], default: (document, current, [])].evidence.append(evidence)
        }
        let readers = versions.map { key, value in
            ReaderSummary(member: key[0], document: value.document, currentVersion: value.current, versions: value.evidence)
        }
        return RequestEvidence(documents: documents, readers: readers.sorted { ($0.member, $0.document.path) < ($1.member, $1.document.path) })
    }
}
