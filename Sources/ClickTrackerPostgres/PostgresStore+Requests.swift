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
                   coalesce((SELECT array_agg(m.member ORDER BY m.member COLLATE "C") FROM request_member m WHERE m.request_id = r.id), '{}'),
                   coalesce((SELECT array_agg(d.path ORDER BY d.position, d.path) FROM request_document d WHERE d.request_id = r.id), '{}'),
                   r.frozen_at, r.completed_at
            FROM reading_request r
            WHERE \(id == nil) OR r.id = \(id ?? 0)
            ORDER BY r.deadline, r.id
            """,
            logger: logger
        )
        var requests: [ReadingRequest] = []
        for try await row in rows {
            let (id, title, path, group, deadline, timeZone, createdAt, createdBy, members) = try row.decode(
                (Int64, String, String, String?, Date, String, Date, String, [String]).self
            )
            let columns = row.makeRandomAccess()
            guard let section = try? SectionPath(path) else { continue }
            requests.append(
                ReadingRequest(
                    id: id,
                    title: title,
                    path: section,
                    documents: try columns[9].decode([String].self),
                    group: group,
                    members: members,
                    deadline: deadline,
                    timeZone: timeZone,
                    createdAt: createdAt,
                    createdBy: createdBy,
                    frozenAt: try columns[10].decode(Date?.self),
                    completedAt: try columns[11].decode(Date?.self)
                )
            )
        }
        return requests
    }

    /// The paths in order, each once (at its first place).
    private static func distinct(_ paths: [String]) -> [String] {
        var seen: Set<String> = []
        return paths.filter { seen.insert($0).inserted }
    }

    @discardableResult
    public func addReadingRequest(_ request: ReadingRequest) async throws -> Int64 {
        let (client, logger) = (client, logger)
        let documents = Self.distinct(request.documents)
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
                ),
                documents AS (
                    INSERT INTO request_document (request_id, position, path)
                    SELECT created.id, d.position, d.path FROM created, unnest(\(documents)::text[]) WITH ORDINALITY AS d (path, position)
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
    public func setRequestDocuments(_ paths: [String], requestID: Int64) async throws -> Bool {
        let (client, logger) = (client, logger)
        let documents = Self.distinct(paths)
        return try await run(.report) {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query("SELECT id FROM reading_request WHERE id = \(requestID) FOR UPDATE", logger: logger)
                var found = false
                for try await _ in rows.decode(Int64.self) { found = true }
                guard found else { return false }
                try await connection.query("DELETE FROM request_document WHERE request_id = \(requestID)", logger: logger)
                try await connection.query("UPDATE reading_request SET completed_at = NULL WHERE id = \(requestID)", logger: logger)
                try await connection.query(
                    """
                    INSERT INTO request_document (request_id, position, path)
                    SELECT \(requestID), d.position, d.path FROM unnest(\(documents)::text[]) WITH ORDINALITY AS d (path, position)
                    """,
                    logger: logger
                )
                try await connection.query("SELECT clicktracker_set_progress_aside(\(requestID))", logger: logger)
                return true
            }
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

    public func documents(under section: SectionPath) async throws -> [DocumentReference] {
        let (client, logger) = (client, logger)
        let (exact, lower, upper, everything) = (section.value, section.value + "/", section.value + "0", section.isRoot)
        return try await run(.report) {
            let rows = try await client.query(
                """
                SELECT d.key, d.path, d.title FROM document d
                WHERE \(everything) OR d.path = \(exact) OR (d.path >= \(lower) AND d.path < \(upper))
                ORDER BY d.path, d.key COLLATE "C"
                """,
                logger: logger
            )
            var documents: [DocumentReference] = []
            for try await (key, path, title) in rows.decode((String, String, String?).self) {
                documents.append(DocumentReference(key: key, path: path, title: title))
            }
            return documents
        }
    }

    public func requestReadings(documents paths: [String], members: [String]) async throws -> [DocumentReadings] {
        try await run(.report) { try await self.readReadings(documents: paths, members: members) }
    }

    private func readReadings(documents paths: [String], members: [String]) async throws -> [DocumentReadings] {
        // Each path names the document with that key, else the one most recently seen at that path.
        let documentRows = try await client.query(
            """
            SELECT DISTINCT ON (p.path) p.path, d.id, d.key, d.path, d.title, d.version
            FROM unnest(\(Array(Set(paths)))::text[]) AS p (path)
            JOIN document d ON d.key = p.path OR d.path = p.path
            ORDER BY p.path, d.key = p.path DESC, d.seen_at DESC
            """,
            logger: logger
        )
        var resolved: [String: (id: Int64, reference: DocumentReference, current: String?)] = [:]
        for try await (name, id, key, path, title, version) in documentRows.decode((String, Int64, String, String, String?, String?).self) {
            resolved[name] = (id, DocumentReference(key: key, path: path, title: title), version)
        }
        let documentIDs = Array(Set(resolved.values.map(\.id)))
        guard !members.isEmpty else {
            return paths.map { path in DocumentReadings(path: path, document: resolved[path]?.reference, readers: []) }
        }
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.readingColumns) FROM reading r
            WHERE r.document_id = ANY(\(documentIDs)) AND r.member = ANY(\(Array(Set(members))))
            """,
            logger: logger
        )
        var versions: [Int64: [String: [ReaderSummary.VersionEvidence]]] = [:]
        for try await row in rows {
            let (member, documentID, evidence) = try Self.reading(row)
            versions[documentID, default: [:]][member, default: []].append(evidence)
        }
        return paths.map { path in
            guard let document = resolved[path] else { return DocumentReadings(path: path, document: nil, readers: []) }
            let readers = (versions[document.id] ?? [:]).map { member, evidence in
                ReaderSummary(member: member, document: document.reference, currentVersion: document.current, versions: evidence)
            }
            return DocumentReadings(path: path, document: document.reference, readers: readers.sorted { $0.member < $1.member })
        }
    }

    public func addFrozenCells(_ cells: [FrozenCell], requestID: Int64) async throws {
        let (client, logger) = (client, logger)
        for chunk in cells.chunks(of: Self.cellsPerStatement) {
            _ = try await run(.report) {
                try await client.query(
                    """
                    INSERT INTO request_cell (request_id, member, path, stage, reached_at)
                    SELECT r.id, c.member, c.path, c.stage, nullif(c.at, \(Date.distantPast))
                    FROM reading_request r,
                         unnest(\(chunk.map(\.member))::text[], \(chunk.map(\.path))::text[], \(chunk.map(\.stage.rawValue))::text[],
                                \(chunk.map { $0.reachedAt ?? .distantPast })::timestamptz[]) AS c (member, path, stage, at)
                    WHERE r.id = \(requestID)
                    ON CONFLICT DO NOTHING
                    """,
                    logger: logger
                )
            }
        }
    }

    @discardableResult
    public func freezeRequest(id: Int64, at time: Date, announcing message: WebhookMessage?) async throws -> Bool {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    "UPDATE reading_request SET frozen_at = \(time) WHERE id = \(id) AND frozen_at IS NULL RETURNING id",
                    logger: logger
                )
                var frozen = false
                for try await _ in rows.decode(Int64.self) { frozen = true }
                guard frozen else { return false }
                try await connection.query("SELECT clicktracker_set_progress_aside(\(id))", logger: logger)
                if let message { try await Self.enqueue(message, at: time, on: connection, logger: logger) }
                return true
            }
        }
    }

    @discardableResult
    public func completeRequest(id: Int64, at time: Date, announcing message: WebhookMessage?) async throws -> Bool {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    "UPDATE reading_request SET completed_at = \(time) WHERE id = \(id) AND completed_at IS NULL RETURNING id",
                    logger: logger
                )
                var completed = false
                for try await _ in rows.decode(Int64.self) { completed = true }
                guard completed else { return false }
                if let message { try await Self.enqueue(message, at: time, on: connection, logger: logger) }
                return true
            }
        }
    }

    public func frozenCells(requestID: Int64, members: [String], paths: [String]) async throws -> [FrozenCell] {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                SELECT member, path, stage, reached_at FROM request_cell
                WHERE request_id = \(requestID) AND member = ANY(\(members)) AND path = ANY(\(Array(Set(paths))))
                """,
                logger: logger
            )
            var cells: [FrozenCell] = []
            for try await (member, path, stage, reachedAt) in rows.decode((String, String, String, Date?).self) {
                guard let stage = ReadingStage(rawValue: stage) else { continue }
                cells.append(FrozenCell(member: member, path: path, stage: stage, reachedAt: reachedAt))
            }
            return cells.sorted { ($0.member, $0.path) < ($1.member, $1.path) }
        }
    }

    public func requestProgress(requestID: Int64) async throws -> RequestProgress? {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let request = try await client.query(
                "SELECT progress_generation, progress_as_of, progress_documents FROM reading_request WHERE id = \(requestID)",
                logger: logger
            )
            var kept: (generation: Int, asOf: Date?, documents: String?)?
            for try await (generation, asOf, documents) in request.decode((Int, Date?, String?).self) { kept = (generation, asOf, documents) }
            guard let kept else { return nil }
            let rows = try await client.query(
                """
                SELECT member, stage, now_stage, documents_read, documents_read_now, opened_at, completed_at
                FROM request_reader WHERE request_id = \(requestID)
                """,
                logger: logger
            )
            var readers: [String: ReaderProgress] = [:]
            for try await (member, stage, now, read, readNow, openedAt, completedAt) in rows.decode(
                (String, String, String, Int, Int, Date?, Date?).self
            ) {
                guard let stage = ReadingStage(rawValue: stage), let now = ReadingStage(rawValue: now) else { continue }
                readers[member] = ReaderProgress(
                    stage: stage,
                    now: now,
                    documentsRead: read,
                    documentsReadNow: readNow,
                    openedAt: openedAt,
                    completedAt: completedAt
                )
            }
            return RequestProgress(readers: readers, generation: kept.generation, asOf: kept.asOf, documents: kept.documents)
        }
    }

    @discardableResult
    public func saveRequestProgress(
        _ readers: [String: ReaderProgress],
        requestID: Int64,
        generation: Int,
        asOf: (time: Date, documents: String)?
    ) async throws -> Bool {
        let (client, logger) = (client, logger)
        let sorted = readers.sorted { $0.key < $1.key }
        return try await run(.report) {
            try await client.withTransaction(logger: logger) { connection in
                let current = try await connection.query(
                    "SELECT id FROM reading_request WHERE id = \(requestID) AND progress_generation = \(generation) FOR UPDATE",
                    logger: logger
                )
                var found = false
                for try await _ in current.decode(Int64.self) { found = true }
                guard found else { return false }
                for chunk in sorted.chunks(of: Self.cellsPerStatement) {
                    let progress = chunk.map(\.value)
                    try await connection.query(
                        """
                        INSERT INTO request_reader
                            (request_id, member, stage, now_stage, documents_read, documents_read_now, opened_at, completed_at)
                        SELECT \(requestID), p.member, p.stage, p.now_stage, p.documents_read, p.documents_read_now,
                               nullif(p.opened_at, \(Date.distantPast)), nullif(p.completed_at, \(Date.distantPast))
                        FROM unnest(\(chunk.map(\.key))::text[], \(progress.map(\.stage.rawValue))::text[], \(progress.map(\.now.rawValue))::text[],
                                    \(progress.map(\.documentsRead))::integer[], \(progress.map(\.documentsReadNow))::integer[],
                                    \(progress.map { $0.openedAt ?? .distantPast })::timestamptz[],
                                    \(progress.map { $0.completedAt ?? .distantPast })::timestamptz[])
                             AS p (member, stage, now_stage, documents_read, documents_read_now, opened_at, completed_at)
                        ON CONFLICT (request_id, member) DO UPDATE SET
                            stage = excluded.stage, now_stage = excluded.now_stage, documents_read = excluded.documents_read,
                            documents_read_now = excluded.documents_read_now, opened_at = excluded.opened_at,
                            completed_at = excluded.completed_at
                        """,
                        logger: logger
                    )
                }
                if let asOf {
                    try await connection.query(
                        "UPDATE reading_request SET progress_as_of = \(asOf.time), progress_documents = \(asOf.documents) WHERE id = \(requestID)",
                        logger: logger
                    )
                }
                return true
            }
        }
    }

    public func changedReaders(documents paths: [String], since time: Date?) async throws -> (members: Set<String>, asOf: Date) {
        let (client, logger) = (client, logger)
        let names = Array(Set(paths))
        // Far enough back for a change stamped early in a transaction that committed later
        // (writes are held to a few seconds).
        let since = (time ?? .distantFuture).addingTimeInterval(-Self.commitMargin)
        return try await run(.report) {
            let clock = try await client.query("SELECT clock_timestamp()", logger: logger)
            var asOf = Date()
            for try await now in clock.decode(Date.self) { asOf = now }
            guard time != nil else { return ([], asOf) }
            let rows = try await client.query(
                """
                SELECT DISTINCT r.member
                FROM document d JOIN document_reader r ON r.document_id = d.id AND r.changed_at > \(since)
                WHERE d.key = ANY(\(names)) OR d.path = ANY(\(names))
                """,
                logger: logger
            )
            var members: Set<String> = []
            for try await member in rows.decode(String.self) { members.insert(member) }
            return (members, asOf)
        }
    }

    /// Rows written per statement when keeping a request's cells or progress.
    static let cellsPerStatement = 10_000

    /// How long before its commit a change may have been stamped: changes stamped this long
    /// before the time asked about are reported too.
    static let commitMargin: TimeInterval = 10
}
