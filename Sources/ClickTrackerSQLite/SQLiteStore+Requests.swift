import ClickTracker
import Foundation
import SQLiteNIO
import Synchronization

extension SQLiteStore {
    public func readingRequests() async throws -> [ReadingRequest] {
        let rows = try await reader.query(
            "SELECT id, title, path, group_name, deadline, time_zone, created_at, created_by, frozen_at, completed_at FROM reading_request ORDER BY deadline, id"
        )
        var requests: [ReadingRequest] = []
        for row in rows { if let request = try await request(row) { requests.append(request) } }
        return requests
    }

    public func readingRequest(id: Int64) async throws -> ReadingRequest? {
        let rows = try await reader.query(
            "SELECT id, title, path, group_name, deadline, time_zone, created_at, created_by, frozen_at, completed_at FROM reading_request WHERE id = ?",
            [.integer(Int(id))]
        )
        guard let row = rows.first else { return nil }
        return try await request(row)
    }

    private func request(_ row: SQLiteRow) async throws -> ReadingRequest? {
        guard let id = row.column("id")?.integer, let path = row.column("path")?.string.flatMap({ try? SectionPath($0) }) else { return nil }
        let members = try await reader.query("SELECT member FROM request_member WHERE request_id = ? ORDER BY member", [.integer(id)])
        let documents = try await reader.query("SELECT path FROM request_document WHERE request_id = ? ORDER BY position, path", [.integer(id)])
        return ReadingRequest(
            id: Int64(id),
            title: row.column("title")?.string ?? "",
            path: path,
            documents: documents.compactMap { $0.column("path")?.string },
            group: row.column("group_name")?.string,
            members: members.compactMap { $0.column("member")?.string },
            deadline: Self.date(row.column("deadline")),
            timeZone: row.column("time_zone")?.string ?? "UTC",
            createdAt: Self.date(row.column("created_at")),
            createdBy: row.column("created_by")?.string ?? "",
            frozenAt: Self.optionalDate(row.column("frozen_at")),
            completedAt: Self.optionalDate(row.column("completed_at"))
        )
    }

    @discardableResult
    public func addReadingRequest(_ request: ReadingRequest) async throws -> Int64 {
        try await transaction { connection in
            let rows = try connection.query(
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
                _ = try connection.query(
                    "INSERT INTO request_member (request_id, member) VALUES \(Self.placeholders(rows: chunk.count, columns: 2))",
                    chunk.flatMap { [.integer(id), .text($0)] }
                )
            }
            try Self.insertDocuments(request.documents, requestID: id, on: connection)
            return Int64(id)
        }
    }

    /// Inserts a request's documents in order (a path named twice counts once, at its first place).
    private static func insertDocuments(_ paths: [String], requestID id: Int, on connection: SQLiteWriteConnection) throws {
        var seen: Set<String> = []
        let ordered = Array(paths.filter { seen.insert($0).inserted }.enumerated())
        for chunk in ordered.chunks(of: rowsPerStatement) {
            _ = try connection.query(
                "INSERT INTO request_document (request_id, position, path) VALUES \(placeholders(rows: chunk.count, columns: 3))",
                chunk.flatMap { [.integer(id), .integer($0.offset), .text($0.element)] }
            )
        }
    }

    @discardableResult
    public func setRequestDocuments(_ paths: [String], requestID: Int64) async throws -> Bool {
        try await transaction { connection in
            let exists = try connection.query("SELECT 1 AS found FROM reading_request WHERE id = ?", [.integer(Int(requestID))])
            guard !exists.isEmpty else { return false }
            _ = try connection.query("DELETE FROM request_document WHERE request_id = ?", [.integer(Int(requestID))])
            _ = try connection.query("UPDATE reading_request SET completed_at = NULL WHERE id = ?", [.integer(Int(requestID))])
            try Self.insertDocuments(paths, requestID: Int(requestID), on: connection)
            try Self.setProgressAside(requestID: requestID, on: connection)
            return true
        }
    }

    @discardableResult
    public func deleteReadingRequest(id: Int64) async throws -> Bool {
        try await transaction { connection in
            try !connection.query("DELETE FROM reading_request WHERE id = ? RETURNING id", [.integer(Int(id))]).isEmpty
        }
    }

    public func documents(under section: SectionPath) async throws -> [DocumentReference] {
        let (filter, binds) = Self.sectionFilter(section)
        return try await reader.query(
            "SELECT d.key AS key, d.path AS path, d.title AS title FROM document d WHERE \(filter) ORDER BY d.path, d.key",
            binds
        )
        .map { row in
            DocumentReference(key: row.column("key")?.string, path: row.column("path")?.string ?? "", title: row.column("title")?.string)
        }
    }

    public func requestReadings(documents paths: [String], members: [String]) async throws -> [DocumentReadings] {
        // Each path names the document with that key, else the one most recently seen at that path.
        var resolved: [String: (id: Int, reference: DocumentReference, current: String?, byKey: Bool, seenAt: Int)] = [:]
        for chunk in Array(Set(paths)).chunks(of: Self.rowsPerStatement) {
            let wanted = Set(chunk)
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            let rows = try await reader.query(
                """
                SELECT id, key, path, title, version, seen_at FROM document
                WHERE key IN (\(placeholders)) OR path IN (\(placeholders))
                """,
                chunk.map(SQLiteData.text) + chunk.map(SQLiteData.text)
            )
            for row in rows {
                guard let id = row.column("id")?.integer, let key = row.column("key")?.string, let path = row.column("path")?.string else { continue }
                let reference = DocumentReference(key: key, path: path, title: row.column("title")?.string)
                let seenAt = row.column("seen_at")?.integer ?? 0
                for (name, byKey) in [(key, true), (path, false)] where wanted.contains(name) {
                    if let known = resolved[name], known.byKey || (!byKey && known.seenAt >= seenAt) { continue }
                    resolved[name] = (id, reference, row.column("version")?.string, byKey, seenAt)
                }
            }
        }
        let expected = Set(members)
        let fold = EvidenceFold()
        let documentIDs = Array(Set(resolved.values.map(\.id)))
        // The members' summaries of the documents, looked up by key (member, document).
        for (readers, documents) in Self.pairs(members: Array(expected).sorted(), documentIDs: documentIDs) {
            try await reader.query(
                """
                SELECT member, document_id, version, words, views, first_view, last_view, active_ms, max_scroll, reached_end,
                       automated, acknowledged_at, read_at
                FROM reading
                WHERE member IN (\(Array(repeating: "?", count: readers.count).joined(separator: ", ")))
                    AND document_id IN (\(Array(repeating: "?", count: documents.count).joined(separator: ", ")))
                """,
                readers.map(SQLiteData.text) + documents.map(SQLiteData.integer)
            ) { row in
                // By position: thirteen columns, in the order selected.
                let data = row.columns.map(\.data)
                guard data.count == 13, let member = data[0].string, expected.contains(member), let documentID = data[1].integer else { return }
                let evidence = Self.evidence(data, readAt: 12)
                fold.versions.withLock { $0[ReaderKey(member: member, documentID: documentID), default: []].append(evidence) }
            }
        }
        let versions = fold.versions.withLock { $0 }
        var readers: [Int: [ReaderSummary]] = [:]
        let documents = Dictionary(resolved.values.map { ($0.id, $0) }) { first, _ in first }
        for (key, evidence) in versions {
            guard let document = documents[key.documentID] else { continue }
            readers[key.documentID, default: []].append(
                ReaderSummary(member: key.member, document: document.reference, currentVersion: document.current, versions: evidence)
            )
        }
        return paths.map { path in
            guard let document = resolved[path] else { return DocumentReadings(path: path, document: nil, readers: []) }
            return DocumentReadings(path: path, document: document.reference, readers: (readers[document.id] ?? []).sorted { $0.member < $1.member })
        }
    }

    /// Chunks of members × chunks of documents, each small enough for one statement.
    private static func pairs(members: [String], documentIDs: [Int]) -> [(members: [String], documents: [Int])] {
        members.chunks(of: 100).flatMap { readers in documentIDs.chunks(of: rowsPerStatement).map { (Array(readers), Array($0)) } }
    }

    public func addFrozenCells(_ cells: [FrozenCell], requestID: Int64) async throws {
        for chunk in cells.chunks(of: Self.rowsPerStatement) {
            try await transaction { connection in
                _ = try connection.query(
                    """
                    INSERT INTO request_cell (request_id, member, path, stage, reached_at)
                    SELECT column1, column2, column3, column4, column5 FROM (VALUES \(Self.placeholders(rows: chunk.count, columns: 5)))
                    WHERE EXISTS (SELECT 1 FROM reading_request WHERE id = ?)
                    ON CONFLICT (request_id, member, path) DO NOTHING
                    """,
                    chunk.flatMap { cell -> [SQLiteData] in
                        [
                            .integer(Int(requestID)), .text(cell.member), .text(cell.path), .text(cell.stage.rawValue),
                            Self.optional(cell.reachedAt.map(Self.milliseconds)),
                        ]
                    } + [.integer(Int(requestID))]
                )
            }
        }
    }

    @discardableResult
    public func freezeRequest(id: Int64, at time: Date, announcing message: WebhookMessage?) async throws -> Bool {
        try await transaction { connection in
            let frozen = try connection.query(
                "UPDATE reading_request SET frozen_at = ? WHERE id = ? AND frozen_at IS NULL RETURNING id",
                [.integer(Self.milliseconds(time)), .integer(Int(id))]
            )
            guard !frozen.isEmpty else { return false }
            try Self.setProgressAside(requestID: id, on: connection)
            if let message { try Self.enqueue(message, at: time, on: connection) }
            return true
        }
    }

    @discardableResult
    public func completeRequest(id: Int64, at time: Date, announcing message: WebhookMessage?) async throws -> Bool {
        try await transaction { connection in
            let completed = try connection.query(
                "UPDATE reading_request SET completed_at = ? WHERE id = ? AND completed_at IS NULL RETURNING id",
                [.integer(Self.milliseconds(time)), .integer(Int(id))]
            )
            guard !completed.isEmpty else { return false }
            if let message { try Self.enqueue(message, at: time, on: connection) }
            return true
        }
    }

    public func frozenCells(requestID: Int64, members: [String], paths: [String]) async throws -> [FrozenCell] {
        var cells: [FrozenCell] = []
        for (readers, documents) in members.chunks(of: 100).flatMap({ readers in
            Array(Set(paths)).chunks(of: Self.rowsPerStatement).map { (readers, $0) }
        }) {
            let rows = try await reader.query(
                """
                SELECT member, path, stage, reached_at FROM request_cell
                WHERE request_id = ? AND member IN (\(Array(repeating: "?", count: readers.count).joined(separator: ", ")))
                    AND path IN (\(Array(repeating: "?", count: documents.count).joined(separator: ", ")))
                """,
                [.integer(Int(requestID))] + readers.map(SQLiteData.text) + documents.map(SQLiteData.text)
            )
            cells += rows.compactMap { row in
                let data = row.columns.map(\.data)
                guard data.count == 4, let member = data[0].string, let path = data[1].string,
                    let stage = data[2].string.flatMap(ReadingStage.init(rawValue:))
                else { return nil }
                return FrozenCell(member: member, path: path, stage: stage, reachedAt: Self.optionalDate(data[3]))
            }
        }
        return cells.sorted { ($0.member, $0.path) < ($1.member, $1.path) }
    }

    public func requestProgress(requestID: Int64) async throws -> RequestProgress? {
        let request = try await reader.query(
            "SELECT progress_generation, progress_as_of, progress_documents FROM reading_request WHERE id = ?",
            [.integer(Int(requestID))]
        )
        guard let row = request.first else { return nil }
        var readers: [String: ReaderProgress] = [:]
        let rows = try await reader.query(
            """
            SELECT member, stage, now_stage, documents_read, documents_read_now, opened_at, completed_at
            FROM request_reader WHERE request_id = ?
            """,
            [.integer(Int(requestID))]
        )
        for row in rows {
            // By position: seven columns, in the order selected.
            let data = row.columns.map(\.data)
            guard data.count == 7, let member = data[0].string,
                let stage = data[1].string.flatMap(ReadingStage.init(rawValue:)), let now = data[2].string.flatMap(ReadingStage.init(rawValue:))
            else { continue }
            readers[member] = ReaderProgress(
                stage: stage,
                now: now,
                documentsRead: data[3].integer ?? 0,
                documentsReadNow: data[4].integer ?? 0,
                openedAt: Self.optionalDate(data[5]),
                completedAt: Self.optionalDate(data[6])
            )
        }
        return RequestProgress(
            readers: readers,
            generation: row.column("progress_generation")?.integer ?? 0,
            asOf: Self.optionalDate(row.column("progress_as_of")),
            documents: row.column("progress_documents")?.string
        )
    }

    @discardableResult
    public func saveRequestProgress(
        _ readers: [String: ReaderProgress],
        requestID: Int64,
        generation: Int,
        asOf: (time: Date, documents: String)?
    ) async throws -> Bool {
        try await transaction { connection in
            let current = try connection.query(
                "SELECT 1 AS found FROM reading_request WHERE id = ? AND progress_generation = ?",
                [.integer(Int(requestID)), .integer(generation)]
            )
            guard !current.isEmpty else { return false }
            for chunk in readers.sorted(by: { $0.key < $1.key }).chunks(of: Self.rowsPerStatement) {
                _ = try connection.query(
                    """
                    INSERT OR REPLACE INTO request_reader
                        (request_id, member, stage, now_stage, documents_read, documents_read_now, opened_at, completed_at)
                    VALUES \(Self.placeholders(rows: chunk.count, columns: 8))
                    """,
                    chunk.flatMap { member, progress -> [SQLiteData] in
                        [
                            .integer(Int(requestID)), .text(member), .text(progress.stage.rawValue), .text(progress.now.rawValue),
                            .integer(progress.documentsRead), .integer(progress.documentsReadNow),
                            Self.optional(progress.openedAt.map(Self.milliseconds)), Self.optional(progress.completedAt.map(Self.milliseconds)),
                        ]
                    }
                )
            }
            if let asOf {
                _ = try connection.query(
                    "UPDATE reading_request SET progress_as_of = ?, progress_documents = ? WHERE id = ?",
                    [.integer(Self.milliseconds(asOf.time)), .text(asOf.documents), .integer(Int(requestID))]
                )
            }
            return true
        }
    }

    public func changedReaders(documents paths: [String], since time: Date?) async throws -> (members: Set<String>, asOf: Date) {
        let clock = try await reader.query("SELECT \(Self.clock) AS now")
        let asOf = Self.date(clock.first?.column("now"))
        guard let time else { return ([], asOf) }
        var members: Set<String> = []
        let since = SQLiteData.integer(Self.milliseconds(time.addingTimeInterval(-Self.commitMargin)))
        for chunk in Array(Set(paths)).chunks(of: Self.rowsPerStatement) {
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            let rows = try await reader.query(
                """
                SELECT DISTINCT r.member AS member
                FROM document d CROSS JOIN document_reader r INDEXED BY document_reader_changed ON r.document_id = d.id AND r.changed_at > ?
                WHERE d.key IN (\(placeholders)) OR d.path IN (\(placeholders))
                """,
                [since] + chunk.map(SQLiteData.text) + chunk.map(SQLiteData.text)
            )
            for row in rows { if let member = row.column("member")?.string { members.insert(member) } }
        }
        return (members, asOf)
    }

    /// The store's clock in SQL, in milliseconds since 1970 (what `changed_at` holds).
    static let clock = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"

    /// How long before its commit a change may have been stamped: changes stamped this long
    /// before the time asked about are reported too (writes are short transactions).
    static let commitMargin: TimeInterval = 10

    /// Sets aside the progress kept for the requests of a group whose members changed.
    static func setProgressAside(group: String, on connection: SQLiteWriteConnection) throws {
        _ = try connection.query(
            "DELETE FROM request_reader WHERE request_id IN (SELECT id FROM reading_request WHERE group_name = ?)",
            [.text(group)]
        )
        _ = try connection.query(
            "UPDATE reading_request SET progress_generation = progress_generation + 1, progress_as_of = NULL WHERE group_name = ?",
            [.text(group)]
        )
    }

    /// Sets aside the progress kept for one request (all when `nil`): it is summed up again from
    /// the readings at the next report.
    static func setProgressAside(requestID: Int64?, on connection: SQLiteWriteConnection) throws {
        let setAside = "UPDATE reading_request SET progress_generation = progress_generation + 1, progress_as_of = NULL"
        if let requestID {
            _ = try connection.query("\(setAside) WHERE id = ?", [.integer(Int(requestID))])
            _ = try connection.query("DELETE FROM request_reader WHERE request_id = ?", [.integer(Int(requestID))])
        } else {
            _ = try connection.query(setAside)
            _ = try connection.query("DELETE FROM request_reader")
        }
    }
}

/// Evidence rows folded per reader and document as SQLite returns them (on its own thread).
private final class EvidenceFold: Sendable {
    let versions = Mutex<[SQLiteStore.ReaderKey: [ReaderSummary.VersionEvidence]]>([:])
}
