import ClickTracker
import Foundation
import Logging
import SQLiteNIO
import Synchronization

/// The embedded default store: one SQLite file in WAL mode.
///
/// Writes go through one connection, one transaction at a time, with `synchronous=FULL` so a
/// committed batch survives a crash of the process or the machine. Reports read through a
/// second connection and never see a half-written batch.
public final class SQLiteStore: ClickStorage {
    /// Why the store could not be opened.
    public enum OpenError: Error, CustomStringConvertible {
        case schemaTooNew(found: Int, supported: Int)
        /// The file, or the folder it is in (where SQLite writes its journal), cannot be written.
        case cannotWrite(path: String, reason: String)

        public var description: String {
            switch self {
            case .schemaTooNew(let found, let supported):
                "the database has schema version \(found), newer than this binary supports (\(supported)); upgrade clicktracker"
            case .cannotWrite(let path, let reason):
                "cannot write the database \(path): \(reason); choose another database file with --database (database in the configuration)"
            }
        }
    }

    /// The database file.
    public let path: String
    /// What opening the file upgraded, in words for operators (`nil` when it was current or new).
    public let upgrade: String?
    let writer: SQLiteWriteConnection
    private let checkpointer: SQLiteCheckpointer
    let reader: SQLiteConnection
    private let writeLock = AsyncLock()
    /// The sections and paths never tracked, kept while ``watchTrackingRules()`` runs.
    private let rules = TrackingRulesCache()
    /// The watch of ``watchTrackingRules()``, once started; `closed` once the store is closed.
    private let rulesWatch = Mutex<(task: Task<Void, Never>?, closed: Bool)>((nil, false))

    private init(path: String, upgrade: String?, writer: SQLiteWriteConnection, checkpointer: SQLiteCheckpointer, reader: SQLiteConnection) {
        self.path = path
        self.upgrade = upgrade
        self.writer = writer
        self.checkpointer = checkpointer
        self.reader = reader
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// - Parameters:
    ///   - path: The database file.
    ///   - logger: Logger for the connections.
    public static func open(path: String, logger: Logger = Logger(label: "clicktracker.sqlite")) async throws -> SQLiteStore {
        try checkWritable(path: path)
        // The reader opens first: sqlite-nio initialises the SQLite library on its first open.
        let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        var writer: SQLiteWriteConnection?
        var checkpointer: SQLiteCheckpointer?
        do {
            let opened = try await SQLiteWriteConnection.open(path: path)
            writer = opened
            try await opened.run { connection in
                for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"] {
                    _ = try connection.query(pragma)
                }
            }
            let upgradedFrom = try await migrate(opened)
            let background = try await SQLiteCheckpointer.open(path: path)
            checkpointer = background
            try await opened.checkpoint(with: background)
            _ = try await reader.query("PRAGMA busy_timeout = 10000")
            // Reports read the same index pages again and again: 16 MiB of them stay in memory
            // instead of SQLite's default 2 MiB.
            _ = try await reader.query("PRAGMA cache_size = -16384")
            return SQLiteStore(
                path: path,
                upgrade: upgradedFrom.map(SQLiteSchema.upgradeSummary(from:)),
                writer: opened,
                checkpointer: background,
                reader: reader
            )
        } catch {
            try? await writer?.close()
            try? await checkpointer?.close()
            try? await reader.close()
            throw error
        }
    }

    /// Brings the schema up to date; returns the version it was upgraded from (`nil` when the file
    /// was current or new).
    private static func migrate(_ connection: SQLiteWriteConnection) async throws -> Int? {
        // A current file is opened without taking the write lock.
        let current = try await connection.run { connection in
            try connection.query("PRAGMA user_version").first?.column("user_version")?.integer == SQLiteSchema.currentVersion
        }
        if current { return nil }
        return try await connection.transaction { connection in
            let version = try connection.query("PRAGMA user_version").first?.column("user_version")?.integer ?? 0
            guard version <= SQLiteSchema.currentVersion else {
                throw OpenError.schemaTooNew(found: version, supported: SQLiteSchema.currentVersion)
            }
            for migration in SQLiteSchema.migrations.dropFirst(version) {
                for statement in migration {
                    _ = try connection.query(statement)
                }
            }
            if version > 0, version < 10 { try SQLiteStore.adoptEvidence(on: connection) }
            _ = try connection.query("PRAGMA user_version = \(SQLiteSchema.currentVersion)")
            return version == 0 ? nil : version
        }
    }

    /// The schema version stored in the file.
    public func schemaVersion() async throws -> Int {
        try await reader.query("PRAGMA user_version").first?.column("user_version")?.integer ?? 0
    }

    /// Rows per multi-row statement, well below SQLite's limit of bound parameters.
    static let rowsPerStatement = 500

    /// Writes a batch in one transaction: its views with a handful of multi-row statements, then
    /// its reports and acknowledgements in order (see ``ClickStorage/record(_:)``).
    @discardableResult
    public func record(_ events: [ViewEvent]) async throws -> [RecordOutcome] {
        guard !events.isEmpty else { return [] }
        do {
            return try await recordBatch(events)
        } catch let failure as SQLiteWriteConnection.Failure where failure.meansUnavailable {
            // A full disk, a locked or read-only file: the batch itself is fine (views are spooled).
            throw StorageUnavailable(reason: "SQLite: \(failure.message)")
        }
    }

    private func recordBatch(_ events: [ViewEvent]) async throws -> [RecordOutcome] {
        try await transaction { connection in
            var outcomes = Array(repeating: RecordOutcome.unchanged, count: events.count)
            let views = events.indices.filter { events[$0].kind == .view }
            // A render inserted by this batch is recorded once; a repeat of it within the batch is unchanged.
            let written = try Self.recordViews(views.map { events[$0] }, on: connection)
            var (recorded, changed, evidence) = (written.inserted, written.readings, written.evidence)
            for index in views where recorded.remove(events[index].renderID) != nil {
                outcomes[index] = .recorded
            }
            let others = events.indices.filter { events[$0].kind != .view }
            if !others.isEmpty {
                let (applied, credited, reported) = try Self.applyReports(others.map { events[$0] }, on: connection)
                for (index, outcome) in zip(others, applied) { outcomes[index] = outcome }
                changed.merge(credited, uniquingKeysWith: max)
                evidence += reported
            }
            try Self.dateReadings(changed, on: connection)
            try Self.appendRecord(evidence, on: connection)
            return outcomes
        }
    }

    /// Inserts documents, then views (render ids that already exist are skipped), then the
    /// access-log and reading summaries, then the path, title and version of documents whose
    /// newest render this batch holds. Returns the render ids inserted, the reading rows they
    /// changed (each with the time of its newest view), and the evidence of the rows inserted.
    private static func recordViews(
        _ events: [ViewEvent],
        on connection: SQLiteWriteConnection
    ) throws -> (inserted: Set<String>, readings: [ReadingKey: Int], evidence: [EvidenceRow]) {
        guard !events.isEmpty else { return ([], [:], []) }
        var documentIDs: [String: Int] = [:]
        for chunk in latestDocuments(events).chunks(of: rowsPerStatement) {
            let rows = try connection.query(
                """
                INSERT INTO document (key, path, title, seen_at, version, words) VALUES \(placeholders(rows: chunk.count, columns: 6))
                ON CONFLICT (key) DO UPDATE SET key = excluded.key
                RETURNING id, key
                """,
                chunk.flatMap { latest -> [SQLiteData] in
                    [
                        .text(latest.document.key), .text(latest.document.path), optional(latest.document.title),
                        .integer(milliseconds(latest.issuedAt)), optional(latest.version?.id), optional(latest.version?.words),
                    ]
                }
            )
            for row in rows {
                if let key = row.column("key")?.string, let id = row.column("id")?.integer { documentIDs[key] = id }
            }
        }

        var inserted: Set<String> = []
        var evidence: [EvidenceRow] = []
        for chunk in events.chunks(of: rowsPerStatement) {
            let rows = try connection.query(
                """
                INSERT INTO view (render_id, member, document_id, url, issued_at, viewed_at, version, words,
                                  active_ms, max_scroll, reached_end, automated, report_seq, reported_at)
                VALUES \(placeholders(rows: chunk.count, columns: 14))
                ON CONFLICT (render_id) DO NOTHING
                RETURNING \(viewEvidenceColumns)
                """,
                chunk.flatMap { event -> [SQLiteData] in
                    let attention = event.attention ?? .none
                    return [
                        .text(event.renderID), .text(event.member), .integer(documentIDs[event.document.key] ?? 0), .text(event.url),
                        .integer(milliseconds(event.issuedAt)), .integer(milliseconds(event.viewedAt)),
                        optional(event.version?.id), optional(event.version?.words),
                        .integer(attention.activeMilliseconds), .integer(attention.scrollPercent), .integer(attention.reachedEnd ? 1 : 0),
                        .integer(attention.automated ? 1 : 0), .integer(attention.sequence), .integer(milliseconds(event.viewedAt)),
                    ]
                }
            )
            inserted.formUnion(rows.compactMap { $0.column("render_id")?.string })
            evidence += rows.map(viewEvidence)
        }
        var remaining = inserted
        let recorded = events.filter { remaining.remove($0.renderID) != nil }

        for chunk in ClickSummary.summarise(recorded, documentIDs: documentIDs).chunks(of: rowsPerStatement) {
            _ = try connection.query(
                """
                INSERT INTO click (member, document_id, url, count, first_access, last_access)
                VALUES \(placeholders(rows: chunk.count, columns: 6))
                ON CONFLICT (member, document_id, url) DO UPDATE SET
                    count = click.count + excluded.count,
                    first_access = min(click.first_access, excluded.first_access),
                    last_access = max(click.last_access, excluded.last_access)
                """,
                chunk.flatMap { summary -> [SQLiteData] in
                    [
                        .text(summary.member), .integer(summary.documentID), .text(summary.url), .integer(summary.count),
                        .integer(summary.firstAccess), .integer(summary.lastAccess),
                    ]
                }
            )
        }

        let readings = ReadingSummary.summarise(recorded, documentIDs: documentIDs)
        for chunk in readings.chunks(of: rowsPerStatement) {
            _ = try connection.query(
                """
                INSERT INTO reading (member, document_id, version, words, views, first_view, last_view,
                                     active_ms, max_scroll, reached_end, automated, credited_at)
                VALUES \(placeholders(rows: chunk.count, columns: 12))
                ON CONFLICT (member, document_id, version) DO UPDATE SET
                    words = coalesce(excluded.words, reading.words),
                    views = reading.views + excluded.views,
                    first_view = min(reading.first_view, excluded.first_view),
                    last_view = max(reading.last_view, excluded.last_view),
                    active_ms = reading.active_ms + excluded.active_ms,
                    max_scroll = max(reading.max_scroll, excluded.max_scroll),
                    reached_end = reading.reached_end OR excluded.reached_end,
                    automated = reading.automated OR excluded.automated
                """,
                chunk.flatMap { summary -> [SQLiteData] in
                    [
                        .text(summary.member), .integer(summary.documentID), .text(summary.version), optional(summary.words),
                        .integer(summary.views), .integer(summary.firstView), .integer(summary.lastView),
                        .integer(summary.activeMilliseconds), .integer(summary.maximumScroll), .integer(summary.reachedEnd ? 1 : 0),
                        .integer(summary.automated ? 1 : 0), .integer(summary.firstView),
                    ]
                }
            )
        }

        // One row per member and document, whatever the version, for the readers report.
        var readers: [ReaderKey: (views: Int, first: Int, last: Int)] = [:]
        for reading in readings {
            let key = ReaderKey(member: reading.member, documentID: reading.documentID)
            let known = readers[key] ?? (0, reading.firstView, reading.lastView)
            readers[key] = (known.views + reading.views, min(known.first, reading.firstView), max(known.last, reading.lastView))
        }
        for chunk in readers.sorted(by: { ($0.key.member, $0.key.documentID) < ($1.key.member, $1.key.documentID) }).chunks(of: rowsPerStatement) {
            _ = try connection.query(
                """
                INSERT INTO document_reader (member, document_id, views, first_view, last_view)
                VALUES \(placeholders(rows: chunk.count, columns: 5))
                ON CONFLICT (member, document_id) DO UPDATE SET
                    views = document_reader.views + excluded.views,
                    first_view = min(document_reader.first_view, excluded.first_view),
                    last_view = max(document_reader.last_view, excluded.last_view)
                """,
                chunk.flatMap { key, reader -> [SQLiteData] in
                    [.text(key.member), .integer(key.documentID), .integer(reader.views), .integer(reader.first), .integer(reader.last)]
                }
            )
        }

        // Path, title and version follow the newest render, never a replayed or older one; a
        // render without a version (a single-page app's) keeps the one known. One statement for
        // every document of the batch.
        for chunk in latestDocuments(recorded).chunks(of: rowsPerStatement) {
            _ = try connection.query(
                """
                UPDATE document SET path = t.path, title = coalesce(t.title, document.title), seen_at = t.seen_at,
                                    version = coalesce(t.version, document.version), words = coalesce(t.words, document.words)
                FROM (SELECT column1 AS id, column2 AS path, column3 AS title, column4 AS seen_at, column5 AS version,
                             column6 AS words
                      FROM (VALUES \(placeholders(rows: chunk.count, columns: 6)))) AS t
                WHERE document.id = t.id AND document.seen_at < t.seen_at
                """,
                chunk.flatMap { latest -> [SQLiteData] in
                    [
                        .integer(documentIDs[latest.document.key] ?? 0), .text(latest.document.path), optional(latest.document.title),
                        .integer(milliseconds(latest.issuedAt)), optional(latest.version?.id), optional(latest.version?.words),
                    ]
                }
            )
        }
        let changed = readings.map { (ReadingKey(member: $0.member, documentID: $0.documentID, version: $0.version), $0.lastView) }
        return (inserted, Dictionary(changed, uniquingKeysWith: max), evidence)
    }

    public func accessLog(_ query: AccessLogQuery) async throws -> AccessLogPage {
        let (filter, binds) = Self.reportFilter(query, member: "c.member")
        let rows = try await sectionRows("click_rows", query, table: "click c", filter: filter, binds: binds)
        let (keyset, keys) = Self.keyset(query, columns: Self.accessLogColumns)
        let index = rows > Self.smallReport && query.member == nil ? "INDEXED BY \(Self.accessLogIndexes[query.order] ?? "")" : ""
        let found = try await reader.query(
            """
            SELECT c.member AS member, c.url AS url, d.title AS title, c.count AS count, c.first_access AS first_access,
                   c.last_access AS last_access, c.document_id AS document_id
            FROM click c \(index) \(index.isEmpty ? "" : "CROSS") JOIN document d ON d.id = c.document_id
            WHERE \(filter) AND \(keyset)
            ORDER BY \(query.sqlOrderBy)
            LIMIT ? OFFSET ?
            """,
            binds + keys + [.integer(query.limit), .integer(query.after == nil ? query.offset : 0)]
        )
        let entries = found.map { row in
            AccessLogEntry(
                member: row.column("member")?.string ?? "",
                url: row.column("url")?.string ?? "",
                title: row.column("title")?.string,
                count: row.column("count")?.integer ?? 0,
                firstAccess: Self.date(row.column("first_access")),
                lastAccess: Self.date(row.column("last_access"))
            )
        }
        return AccessLogPage(entries: entries, total: query.countsTotal ? rows : 0, next: found.last.map { Self.key($0, query) })
    }

    /// Above this many rows a report reads its section in the order shown, through the order's
    /// index (`CROSS JOIN` keeps SQLite from starting at the documents), and stops after the page;
    /// below, it reads the section's rows and sorts them.
    static let smallReport = 20_000

    /// The access log's result columns as the `WHERE` clause names them, and the index per order.
    static let accessLogColumns = [
        "member": "c.member", "url": "c.url", "count": "c.count", "first_access": "c.first_access", "last_access": "c.last_access",
        "document_id": "c.document_id",
    ]
    static let accessLogIndexes: [AccessLogOrder: String] = [
        .member: "sqlite_autoindex_click_1", .url: "click_url", .count: "click_count", .firstAccess: "click_first", .lastAccess: "click_last",
    ]

    /// The rows of a report in the query's section: from the totals kept per document (`column`),
    /// or counted when the query names a member.
    func sectionRows<Order>(_ column: String, _ query: ReportQuery<Order>, table: String, filter: String, binds: [SQLiteData]) async throws -> Int {
        if query.member != nil {
            let rows = try await reader.query(
                "SELECT count(*) AS total FROM \(table) JOIN document d ON d.id = document_id WHERE \(filter)",
                binds
            )
            return rows.first?.column("total")?.integer ?? 0
        }
        let (section, sectionBinds) = Self.sectionFilter(query.section)
        let rows = try await reader.query("SELECT coalesce(sum(d.\(column)), 0) AS total FROM document d WHERE \(section)", sectionBinds)
        return rows.first?.column("total")?.integer ?? 0
    }

    /// The condition of a query that continues after a row: its key columns after (or, descending,
    /// before) the key given.
    static func keyset<Order>(_ query: ReportQuery<Order>, columns: [String: String]) -> (String, [SQLiteData]) {
        guard let after = query.after, after.count == query.keyColumns.count else { return ("1 = 1", []) }
        let names = query.keyColumns.map { columns[$0] ?? $0 }.joined(separator: ", ")
        let values = after.map { key -> SQLiteData in
            switch key {
            case .text(let text): .text(text)
            case .integer(let number): .integer(number)
            case .time(let date): .integer(milliseconds(date))
            }
        }
        return ("(\(names)) \(query.descending ? "<" : ">") (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))", values)
    }

    /// A row's ordering key, by the names of the query's key columns.
    static func key<Order>(_ row: SQLiteRow, _ query: ReportQuery<Order>) -> [ReportKey] {
        query.keyColumns.map { column in
            switch row.column(column) {
            case .text(let text)?: .text(text)
            case .integer(let number)?: column.hasSuffix("_access") || column.hasSuffix("_view") ? .time(date(.integer(number))) : .integer(number)
            default: .text("")
            }
        }
    }

    public func trackedSections() async throws -> [TrackedSection] {
        startWatchingTrackingRules()
        return try await rules.sections { try await self.readSections() }
    }

    private func readSections() async throws -> [TrackedSection] {
        let rows = try await reader.query(
            """
            SELECT path, words_per_minute, maximum_seconds, minimum_seconds, requires_acknowledgement, requires_rereading
            FROM section ORDER BY path
            """
        )
        return rows.compactMap { row in
            guard let path = row.column("path")?.string.flatMap({ try? SectionPath($0) }) else { return nil }
            func integer(_ name: String) -> Int { row.column(name)?.integer ?? 0 }
            let policy = ReadingPolicy(
                wordsPerMinute: integer("words_per_minute"),
                maximumSeconds: integer("maximum_seconds"),
                minimumSeconds: integer("minimum_seconds"),
                requiresAcknowledgement: integer("requires_acknowledgement") != 0,
                requiresRereading: integer("requires_rereading") != 0
            )
            return TrackedSection(path: path, policy: policy)
        }
    }

    public func setPolicy(_ policy: ReadingPolicy, for section: SectionPath) async throws {
        defer { rules.changed() }
        try await transaction { connection in
            let before = try connection.query(
                "SELECT words_per_minute, maximum_seconds, minimum_seconds FROM section WHERE path = ?",
                [.text(section.value)]
            ).first
            guard let before else { return }
            let rose =
                policy.wordsPerMinute < before.column("words_per_minute")?.integer ?? 0
                || policy.maximumSeconds > before.column("maximum_seconds")?.integer ?? 0
                || policy.minimumSeconds > before.column("minimum_seconds")?.integer ?? 0
            _ = try connection.query(
                """
                UPDATE section SET words_per_minute = ?, maximum_seconds = ?, minimum_seconds = ?, requires_acknowledgement = ?,
                                   requires_rereading = ?
                WHERE path = ?
                """,
                [
                    .integer(policy.wordsPerMinute), .integer(policy.maximumSeconds), .integer(policy.minimumSeconds),
                    .integer(policy.requiresAcknowledgement ? 1 : 0), .integer(policy.requiresRereading ? 1 : 0), .text(section.value),
                ]
            )
            try Self.judgeReadingsAgain(under: section, keepEarlierDates: !rose, on: connection)
        }
    }

    public func setTracked(_ section: SectionPath, _ tracked: Bool) async throws {
        defer { rules.changed() }
        try await transaction { connection in
            if tracked {
                _ = try connection.query(
                    "INSERT INTO section (path, created_at) VALUES (?, ?) ON CONFLICT (path) DO NOTHING",
                    [.text(section.value), .integer(Self.milliseconds(Date()))]
                )
            } else {
                _ = try connection.query("DELETE FROM section WHERE path = ?", [.text(section.value)])
            }
            try Self.judgeReadingsAgain(under: section, keepEarlierDates: true, on: connection)
        }
    }

    public func ignoredPaths() async throws -> [SectionPath] {
        startWatchingTrackingRules()
        return try await rules.ignoredPaths {
            try await self.reader.query("SELECT path FROM ignored_path ORDER BY path").compactMap { row in
                row.column("path")?.string.flatMap { try? SectionPath($0) }
            }
        }
    }

    public func setIgnored(_ path: SectionPath, _ ignored: Bool) async throws {
        defer { rules.changed() }
        try await transaction { connection in
            if ignored {
                _ = try connection.query(
                    "INSERT INTO ignored_path (path, created_at) VALUES (?, ?) ON CONFLICT (path) DO NOTHING",
                    [.text(path.value), .integer(Self.milliseconds(Date()))]
                )
            } else {
                _ = try connection.query("DELETE FROM ignored_path WHERE path = ?", [.text(path.value)])
            }
        }
    }

    public func statistics() async throws -> StorageStatistics {
        let row = try await reader.query(
            """
            SELECT (SELECT count(*) FROM document) AS documents, (SELECT count(*) FROM view) AS views,
                   (SELECT count(*) FROM click) AS click_rows, (SELECT coalesce(sum(count), 0) FROM click) AS clicks,
                   (SELECT count(*) FROM section) AS sections
            """
        ).first
        func value(_ name: String) -> Int { row?.column(name)?.integer ?? 0 }
        return StorageStatistics(
            documents: value("documents"),
            views: value("views"),
            clickRows: value("click_rows"),
            clicks: value("clicks"),
            sections: value("sections")
        )
    }

    public func views(after position: Int64, limit: Int) async throws -> [StoredView] {
        let rows = try await reader.query(
            """
            SELECT v.id AS id, v.member AS member, d.key AS key, d.path AS path, d.title AS title, v.url AS url,
                   v.render_id AS render_id, v.issued_at AS issued_at, v.viewed_at AS viewed_at, v.version AS version,
                   v.words AS words, v.active_ms AS active_ms, v.max_scroll AS max_scroll, v.reached_end AS reached_end,
                   v.automated AS automated, v.report_seq AS report_seq, r.acknowledged_at AS acknowledged_at
            FROM view v JOIN document d ON d.id = v.document_id
            LEFT JOIN reading r ON r.acknowledged_render = v.render_id AND r.member = v.member AND r.document_id = v.document_id
                               AND r.version = coalesce(v.version, '')
            WHERE v.id > ? ORDER BY v.id LIMIT ?
            """,
            [.integer(Int(position)), .integer(limit)]
        )
        return rows.map { row in
            func integer(_ name: String) -> Int { row.column(name)?.integer ?? 0 }
            let document = DocumentReference(
                key: row.column("key")?.string ?? "",
                path: row.column("path")?.string ?? "",
                title: row.column("title")?.string
            )
            let version = row.column("version")?.string.map { DocumentVersion(id: $0, words: integer("words")) }
            let attention = Attention(
                sequence: integer("report_seq"),
                activeMilliseconds: integer("active_ms"),
                scrollPercent: integer("max_scroll"),
                reachedEnd: integer("reached_end") != 0,
                automated: integer("automated") != 0
            )
            let event = ViewEvent(
                member: row.column("member")?.string ?? "",
                document: document,
                url: row.column("url")?.string ?? "",
                renderID: row.column("render_id")?.string ?? "",
                issuedAt: Self.date(row.column("issued_at")),
                viewedAt: Self.date(row.column("viewed_at")),
                version: version,
                attention: attention
            )
            let acknowledgedAt = row.column("acknowledged_at")?.integer.map { Date(timeIntervalSince1970: Double($0) / 1000) }
            return StoredView(position: Int64(integer("id")), event: event, acknowledgedAt: acknowledgedAt)
        }
    }

    /// How often another connection's commits are looked for: a section marked by another
    /// process sharing the file is tracked here within this time (this store's own changes at once).
    static let trackingRulesCheckInterval = Duration.milliseconds(100)

    /// Starts the watch that keeps the sections and paths never tracked in memory, once, on the
    /// first call that reads them (commands that never do so never start it).
    private func startWatchingTrackingRules() {
        rulesWatch.withLock { watch in
            guard watch.task == nil, !watch.closed else { return }
            watch.task = Task { await self.watchTrackingRules() }
        }
    }

    /// Polls `PRAGMA data_version`, which changes when any other connection (this store's
    /// writer included, or another process) commits; each change drops what is kept. Its own
    /// changes to sections and ignored paths drop it at once.
    private func watchTrackingRules() async {
        var known: Int?
        while !Task.isCancelled {
            do {
                let version = try await reader.query("PRAGMA data_version").first?.column("data_version")?.integer
                if known == nil {
                    rules.startWatching()
                } else if version != known {
                    rules.changed()
                }
                known = version
            } catch {
                rules.stopWatching()
                known = nil
            }
            try? await Task.sleep(for: Self.trackingRulesCheckInterval)
        }
        rules.stopWatching()
    }

    public func countRecorded(renderIDs: [String]) async throws -> Int {
        var count = 0
        for chunk in renderIDs.chunks(of: Self.rowsPerStatement) {
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            let rows = try await reader.query(
                "SELECT count(*) AS found FROM view WHERE render_id IN (\(placeholders))",
                chunk.map(SQLiteData.text)
            )
            count += rows.first?.column("found")?.integer ?? 0
        }
        return count
    }

    public func close() async throws {
        let watch = rulesWatch.withLock { watch in
            watch.closed = true
            return watch.task
        }
        if let watch {
            watch.cancel()
            await watch.value
        }
        // The writer closes once no transaction runs; every connection is closed whatever fails.
        let writer = writer
        var failure: (any Error)?
        do { try await reader.close() } catch { failure = error }
        do { try await writeLock.withLock { try await writer.close() } } catch { failure = failure ?? error }
        do { try await checkpointer.close() } catch { failure = failure ?? error }
        if let failure { throw failure }
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT` on the writer, in one hop to the thread
    /// pool, rolling back if it throws; one transaction of this store at a time.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteWriteConnection) throws -> T) async throws -> T {
        let connection = writer
        return try await writeLock.withLock { try await connection.transaction(body) }
    }

    /// The `WHERE` clause of a report: documents (`d`) in the query's section, and the member
    /// column when the query names a member.
    static func reportFilter<Order>(_ query: ReportQuery<Order>, member column: String) -> (String, [SQLiteData]) {
        let (section, binds) = sectionFilter(query.section)
        return ("\(section) AND (? IS NULL OR \(column) = ?)", binds + [optional(query.member), optional(query.member)])
    }

    /// The `WHERE` clause selecting documents (`d`) at or below a section, without `LIKE`: a range
    /// on the path index (`'0'` is the character after `'/'`), so `_` and `%` in paths match only themselves.
    static func sectionFilter(_ section: SectionPath) -> (String, [SQLiteData]) {
        if section.isRoot { return ("1 = 1", []) }
        // One range on the path index (which also gives the path order), then the `/` boundary.
        return (
            "(d.path >= ? AND d.path < ? AND (d.path = ? OR d.path >= ?))",
            [.text(section.value), .text(section.value + "0"), .text(section.value), .text(section.value + "/")]
        )
    }

    /// Each document in `events` as its newest render shows it: the newest path and version, the
    /// newest title any render carried, and that render's issue time.
    static func latestDocuments(_ events: [ViewEvent]) -> [(document: DocumentReference, version: DocumentVersion?, issuedAt: Date)] {
        var latest: [String: (document: DocumentReference, version: DocumentVersion?, issuedAt: Date, titledAt: Date)] = [:]
        for event in events {
            guard var current = latest[event.document.key] else {
                let titledAt = event.document.title == nil ? Date.distantPast : event.issuedAt
                latest[event.document.key] = (event.document, event.version, event.issuedAt, titledAt)
                continue
            }
            if event.issuedAt >= current.issuedAt {
                let title = current.document.title
                current.document = event.document
                current.document.title = title
                current.version = event.version
                current.issuedAt = event.issuedAt
            }
            if let title = event.document.title, event.issuedAt >= current.titledAt {
                current.document.title = title
                current.titledAt = event.issuedAt
            }
            latest[event.document.key] = current
        }
        return latest.values.map { ($0.document, $0.version, $0.issuedAt) }
    }

    /// `(?, ?, …), (?, ?, …), …` for a multi-row `VALUES` list.
    static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }

    static func optional(_ text: String?) -> SQLiteData {
        text.map(SQLiteData.text) ?? .null
    }

    static func optional(_ number: Int?) -> SQLiteData {
        number.map(SQLiteData.integer) ?? .null
    }

    static func milliseconds(_ date: Date) -> Int {
        Int((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// A time stored in milliseconds, `nil` for NULL.
    static func optionalDate(_ data: SQLiteData?) -> Date? {
        data?.integer.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    static func date(_ data: SQLiteData?) -> Date {
        Date(timeIntervalSince1970: Double(data?.integer ?? 0) / 1000)
    }
}
