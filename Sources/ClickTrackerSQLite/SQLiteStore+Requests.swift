import ClickTracker
import Foundation
import SQLiteNIO
import Synchronization

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
            "SELECT d.id AS id, d.key AS key, d.path AS path, d.title AS title, d.version AS version FROM document d WHERE \(filter) ORDER BY d.path, d.key",
            binds
        )
        var documents: [Int: (reference: DocumentReference, current: String?)] = [:]
        for row in documentRows {
            let reference = DocumentReference(
                key: row.column("key")?.string,
                path: row.column("path")?.string ?? "",
                title: row.column("title")?.string
            )
            documents[row.column("id")?.integer ?? 0] = (reference, row.column("version")?.string)
        }
        let ordered = documentRows.compactMap { documents[$0.column("id")?.integer ?? 0]?.reference }
        let limit = until.map { SQLiteData.integer(Self.milliseconds($0)) } ?? .integer(Int.max)
        let fold = EvidenceFold()
        // One statement reads the section's views once (few, large member lists); `+v.member`
        // keeps SQLite from driving it by member: a section's documents (index view_document)
        // narrow it far more than a group does. Rows are folded as SQLite steps through them,
        // never held all at once (a whole section can have a million).
        for chunk in Array(Set(members)).chunks(of: 10_000) {
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            try await reader.query(
                """
                SELECT v.member, v.document_id, coalesce(v.version, ''), max(v.words), count(*), min(v.viewed_at), max(v.viewed_at),
                       min(sum(v.active_ms), coalesce(max(r.active_ms), sum(v.active_ms))), max(v.max_scroll), max(v.reached_end),
                       max(v.automated), CASE WHEN max(r.acknowledged_at) <= ? THEN max(r.acknowledged_at) END
                FROM view v JOIN document d ON d.id = v.document_id
                LEFT JOIN reading r ON r.member = v.member AND r.document_id = v.document_id AND r.version = coalesce(v.version, '')
                WHERE \(filter) AND +v.member IN (\(placeholders)) AND v.viewed_at <= ?
                GROUP BY v.member, v.document_id, coalesce(v.version, '')
                """,
                [limit] + binds + chunk.map(SQLiteData.text) + [limit]
            ) { row in
                // By position: twelve columns, in the order selected.
                let data = row.columns.map(\.data)
                guard data.count == 12, let member = data[0].string, let documentID = data[1].integer else { return }
                let version = data[2].string ?? ""
                let evidence = ReaderSummary.VersionEvidence(
                    version: version.isEmpty ? nil : version,
                    words: data[3].integer,
                    views: data[4].integer ?? 0,
                    firstView: Self.date(data[5]),
                    lastView: Self.date(data[6]),
                    activeMilliseconds: data[7].integer ?? 0,
                    maximumScroll: data[8].integer ?? 0,
                    reachedEnd: data[9].integer == 1,
                    automated: data[10].integer == 1,
                    acknowledgedAt: data[11].integer.map { Date(timeIntervalSince1970: Double($0) / 1000) }
                )
                fold.versions.withLock { $0[ReaderKey(member: member, documentID: documentID), default: []].append(evidence) }
            }
        }
        let readers = fold.versions.withLock { $0 }.compactMap { key, evidence -> ReaderSummary? in
            guard let document = documents[key.documentID] else { return nil }
            return ReaderSummary(member: key.member, document: document.reference, currentVersion: document.current, versions: evidence)
        }
        return RequestEvidence(documents: ordered, readers: readers.sorted { ($0.member, $0.document.path) < ($1.member, $1.document.path) })
    }
}

/// Evidence rows folded per reader and document as SQLite returns them (on its own thread).
private final class EvidenceFold: Sendable {
    let versions = Mutex<[SQLiteStore.ReaderKey: [ReaderSummary.VersionEvidence]]>([:])
}
