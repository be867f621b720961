import ClickTracker
import Foundation
import SQLiteNIO

extension SQLiteStore {
    public func readingRequests() async throws -> [ReadingRequest] {
        let rows = try await reader.query(
            "SELECT id, title, path, group_name, deadline, time_zone, created_at, created_by FROM reading_request ORDER BY deadline, id"
        )
        var requests: [ReadingRequest] = []
        for row in rows { if let request = try await request(row) { requests.append(request) } }
        return requests
    }

    public func readingRequest(id: Int64) async throws -> ReadingRequest? {
        let rows = try await reader.query(
            "SELECT id, title, path, group_name, deadline, time_zone, created_at, created_by FROM reading_request WHERE id = ?",
            [.integer(Int(id))]
        )
        guard let row = rows.first else { return nil }
        return try await request(row)
    }

    private func request(_ row: SQLiteRow) async throws -> ReadingRequest? {
        guard let id = row.column("id")?.integer, let path = row.column("path")?.string.flatMap({ try? SectionPath($0) }) else { return nil }
        let members = try await reader.query("SELECT member FROM request_member WHERE request_id = ? ORDER BY member", [.integer(id)])
        return ReadingRequest(
            id: Int64(id),
            title: row.column("title")?.string ?? "",
            path: path,
            group: row.column("group_name")?.string,
            members: members.compactMap { $0.column("member")?.string },
            deadline: Self.date(row.column("deadline")),
            timeZone: row.column("time_zone")?.string ?? "UTC",
            createdAt: Self.date(row.column("created_at")),
            createdBy: row.column("created_by")?.string ?? ""
        )
    }

    @discardableResult
    public func addReadingRequest(_ request: ReadingRequest) async throws -> Int64 {
        try await transaction { connection in
            let rows = try await connection.query(
                """
                INSERT INTO reading_request (title, path, group_name, deadline, time_zone, created_at, created_by)
                VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
                """,
                [
                    .text(request.title), .text(request.path.value), Self.optional(request.group),
                    .integer(Self.milliseconds(request.deadline)), .text(request.timeZone), .integer(Self.milliseconds(request.createdAt)),
                    .text(request.createdBy),
                ]
            )
            let id = rows.first?.column("id")?.integer ?? 0
            for chunk in Array(Set(request.members)).sorted().chunks(of: Self.rowsPerStatement) {
                _ = try await connection.query(
                    "INSERT INTO request_member (request_id, member) VALUES \(Self.placeholders(rows: chunk.count, columns: 2))",
                    chunk.flatMap { [.integer(id), .text($0)] }
                )
            }
            return Int64(id)
        }
    }

    @discardableResult
    public func deleteReadingRequest(id: Int64) async throws -> Bool {
        try await transaction { connection in
            try await !connection.query("DELETE FROM reading_request WHERE id = ? RETURNING id", [.integer(Int(id))]).isEmpty
        }
    }

    public func requestEvidence(section: SectionPath, members: [String], until: Date?) async throws -> RequestEvidence {
        let (filter, binds) = Self.sectionFilter(section)
        let documentRows = try await reader.query(
            "SELECT d.key AS key, d.path AS path, d.title AS title FROM document d WHERE \(filter) ORDER BY d.path, d.key",
            binds
        )
        let documents = documentRows.map { row in
            DocumentReference(key: row.column("key")?.string, path: row.column("path")?.string ?? "", title: row.column("title")?.string)
        }
        let limit = until.map { SQLiteData.integer(Self.milliseconds($0)) } ?? .integer(Int.max)
        var versions: [[String]: (document: DocumentReference, current: String?, evidence: [ReaderSummary.VersionEvidence])] = [:]
        for chunk in Array(Set(members)).chunks(of: Self.rowsPerStatement) {
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            let rows = try await reader.query(
                """
                SELECT v.member AS member, d.key AS key, d.path AS path, d.title AS title, d.version AS current_version,
                       coalesce(v.version, '') AS version, max(v.words) AS words, count(*) AS views, min(v.viewed_at) AS first_view,
                       max(v.viewed_at) AS last_view, min(sum(v.active_ms), coalesce(max(r.active_ms), sum(v.active_ms))) AS active_ms,
                       max(v.max_scroll) AS max_scroll, max(v.reached_end) AS reached_end, max(v.automated) AS automated,
                       CASE WHEN max(r.acknowledged_at) <= ? THEN max(r.acknowledged_at) END AS acknowledged_at
                FROM view v JOIN document d ON d.id = v.document_id
                LEFT JOIN reading r ON r.member = v.member AND r.document_id = v.document_id AND r.version = coalesce(v.version, '')
                WHERE \(filter) AND v.member IN (\(placeholders)) AND v.viewed_at <= ?
                GROUP BY v.member, v.document_id, coalesce(v.version, '')
                """,
                [limit] + binds + chunk.map(SQLiteData.text) + [limit]
            )
            for row in rows {
                func integer(_ name: String) -> Int { row.column(name)?.integer ?? 0 }
                let member = row.column("member")?.string ?? ""
                let document = DocumentReference(
                    key: row.column("key")?.string,
                    path: row.column("path")?.string ?? "",
                    title: row.column("title")?.string
                )
                let version = row.column("version")?.string ?? ""
                let evidence = ReaderSummary.VersionEvidence(
                    version: version.isEmpty ? nil : version,
                    words: row.column("words")?.integer,
                    views: integer("views"),
                    firstView: Self.date(row.column("first_view")),
                    lastView: Self.date(row.column("last_view")),
                    activeMilliseconds: integer("active_ms"),
                    maximumScroll: integer("max_scroll"),
                    reachedEnd: integer("reached_end") != 0,
                    automated: integer("automated") != 0,
                    acknowledgedAt: row.column("acknowledged_at")?.integer.map { Date(timeIntervalSince1970: Double($0) / 1000) }
                )
                versions[[member, document.key], default: (document, row.column("current_version")?.string, [])].evidence.append(evidence)
            }
        }
        let readers = versions.map { key, value in
            ReaderSummary(member: key[0], document: value.document, currentVersion: value.current, versions: value.evidence)
        }
        return RequestEvidence(documents: documents, readers: readers.sorted { ($0.member, $0.document.path) < ($1.member, $1.document.path) })
    }
}
