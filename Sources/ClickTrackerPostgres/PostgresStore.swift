import ClickTracker
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The PostgreSQL store: several ClickTracker instances can share one database.
///
/// The schema is `sql/db.sql`; a batch is one call of its `clicktracker_record` function with
/// the batch's columns as arrays: one round trip, one transaction. Run the store (it runs its
/// connection pool) as a service for as long as it is used.
///
/// Every call is bounded by a timeout. When the server cannot be reached, calls throw
/// ``StorageUnavailable`` (at once while it is known to be down), which lets the ingest queue
/// spool views and the pages say the database is unreachable.
public final class PostgresStore: ClickStorage, Service {
    /// The connection pool.
    public let client: PostgresClient
    let logger: Logger
    private let availability: ServerAvailability
    private let requiredSchemaVersion: Int?
    private let schemaVerified = Mutex(false)
    /// The sections and paths never tracked, kept while this store listens for their changes, and
    /// read again at least every 30 s: a change no notification announced (an instance of an
    /// older version, an edit by hand in SQL, a listening connection silently cut) is seen then.
    private let rules = TrackingRulesCache(maximumAge: .seconds(30))
    /// The channel on which every instance announces a change to sections or paths never tracked.
    static let rulesChannel = "clicktracker_rules"

    /// Creates a store; nothing connects until ``run()`` runs.
    /// - Parameters:
    ///   - configuration: Where and how to connect.
    ///   - timeout: How long a batch (or the sections lookup) may wait before the server counts as unreachable.
    ///   - readTimeout: How long a report or a settings change may take.
    ///   - requiredSchemaVersion: When set, the schema version is checked before the first call
    ///     goes through; until it matches, calls throw ``StorageUnavailable`` (views stay spooled)
    ///   - logger: Logger for the pool.
    public init(
        configuration: PostgresClient.Configuration,
        timeout: Duration = .seconds(5),
        readTimeout: Duration = .seconds(30),
        requiredSchemaVersion: Int? = nil,
        logger: Logger = Logger(label: "clicktracker.postgres")
    ) {
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.availability = ServerAvailability(timeout: timeout, readTimeout: readTimeout)
        self.requiredSchemaVersion = requiredSchemaVersion
        self.logger = logger
    }

    /// Runs a call within the availability rules, after checking the schema once if required.
    func run<T: Sendable>(_ call: ServerAvailability.Call, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await availability.run(
            call,
            probe: { try await self.ping() },
            {
                try await self.verifySchema()
                return try await operation()
            }
        )
    }

    /// Succeeds once the server answers and holds the required schema.
    private func ping() async throws {
        try await verifySchema()
        _ = try await client.query("SELECT 1", logger: logger).collect()
    }

    /// Until the database holds the required schema version, calls count as unreachable, so
    /// views wait in the spool (for a server started while the database was down).
    private func verifySchema() async throws {
        guard let requiredSchemaVersion, !schemaVerified.withLock({ $0 }) else { return }
        let rows = try await client.query(
            "SELECT CASE WHEN to_regclass('clicktracker_schema') IS NULL THEN 0 ELSE (SELECT coalesce(max(version), 0) FROM clicktracker_schema) END",
            logger: logger
        )
        var found = 0
        for try await version in rows.decode(Int.self) { found = version }
        guard found == requiredSchemaVersion else {
            throw StorageUnavailable(
                reason: "the database has ClickTracker schema version \(found), this server needs \(requiredSchemaVersion); run clicktracker db init"
            )
        }
        schemaVerified.withLock { $0 = true }
    }

    /// Runs the connection pool, and listens for changes to the tracked sections, until the task
    /// is cancelled.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.client.run() }
                group.addTask { await self.watchTrackingRules() }
            }
        }
    }

    /// Keeps the sections and paths never tracked in memory while a connection listens on
    /// ``rulesChannel``, on which every instance's change is announced (in the transaction that
    /// makes it); while that connection is lost, they are read on every call again.
    private func watchTrackingRules() async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.rulesChannel) { notifications in
                        self.rules.startWatching()
                        for try await _ in notifications { self.rules.changed() }
                    }
                }
            } catch {
                if !Task.isCancelled { logger.debug("Not listening for changes to the tracked sections: \(error)") }
            }
            rules.stopWatching()
            try? await Task.sleep(for: .seconds(1))
        }
    }

    @discardableResult
    public func record(_ events: [ViewEvent]) async throws -> [RecordOutcome] {
        guard !events.isEmpty else { return [] }
        // Two instances' batches can still deadlock on a reading and its document's reader row;
        // PostgreSQL then aborts one (nothing of it is kept), which is written again after a short,
        // random pause, each attempt with its own deadline.
        var attempt = 1
        while true {
            do {
                return try await run(.quick) { try await self.write(events) }
            } catch let refusal as PostgresRefusal where attempt < 4 && ["40P01", "40001"].contains(refusal.sqlState) {
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...25) * attempt))
            }
        }
    }

    /// PostgreSQL text cannot hold NUL characters (SQLite can); they are stored as U+FFFD.
    private static func storable(_ text: String) -> String {
        text.utf8.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
    }

    private func write(_ events: [ViewEvent]) async throws -> [RecordOutcome] {
        let text = { (value: (ViewEvent) -> String) in events.map { Self.storable(value($0)) } }
        let attention = events.map { $0.attention ?? .none }
        // -1 stands for an unknown word count: arrays of optionals cannot be bound.
        let words = events.map { $0.version.map { Int32(clamping: $0.words) } ?? -1 }
        let rows = try await client.query(
            """
            SELECT clicktracker_record(
                \(events.map(\.kind.rawValue)),
                \(text(\.member)), \(text(\.document.key)), \(text(\.document.path)),
                \(text { $0.document.title ?? "" }), \(text(\.url)), \(text(\.renderID)),
                \(events.map(\.issuedAt)), \(events.map(\.viewedAt)),
                \(text { $0.version?.id ?? "" }),
                (SELECT array_agg(nullif(w, -1) ORDER BY i) FROM unnest(\(words)::integer[]) WITH ORDINALITY AS x (w, i)),
                \(attention.map { Int64($0.sequence) }), \(attention.map { Int64($0.activeMilliseconds) }),
                \(attention.map { Int32($0.scrollPercent) }), \(attention.map(\.reachedEnd)), \(attention.map(\.automated))
            )
            """,
            logger: logger
        )
        for try await outcomes in rows.decode([String].self) {
            return outcomes.map { RecordOutcome(rawValue: $0) ?? .unchanged }
        }
        return []
    }

    public func accessLog(_ query: AccessLogQuery) async throws -> AccessLogPage {
        try await run(.report) { try await self.readAccessLog(query) }
    }

    private func readAccessLog(_ query: AccessLogQuery) async throws -> AccessLogPage {
        let total = query.countsTotal ? try await sectionRows("click_rows", query, table: "click c", member: "c.member") : 0
        var sql = """
            SELECT c.member, c.url, d.title, c.count, c.first_access, c.last_access, c.document_id
            FROM click c JOIN document d ON d.id = c.document_id
            WHERE 
            """
        var bindings = PostgresBindings()
        Self.appendFilter(query, member: "c.member", to: &sql, &bindings)
        Self.appendKeyset(query, columns: Self.accessLogColumns, to: &sql, &bindings)
        sql += " ORDER BY \(query.sqlOrderBy) LIMIT \(query.limit) OFFSET \(query.after == nil ? query.offset : 0)"
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        var entries: [AccessLogEntry] = []
        var next: [ReportKey]?
        for try await (member, url, title, count, first, last, documentID) in rows.decode((String, String, String?, Int, Date, Date, Int64).self) {
            entries.append(AccessLogEntry(member: member, url: url, title: title, count: count, firstAccess: first, lastAccess: last))
            let sorted: ReportKey =
                switch query.order {
                case .member: .text(member)
                case .url: .text(url)
                case .count: .integer(count)
                case .firstAccess: .time(first)
                case .lastAccess: .time(last)
                }
            next = [sorted, .text(member), .text(url), .integer(Int(documentID))]
        }
        return AccessLogPage(entries: entries, total: total, next: next)
    }

    /// The access log's key columns as the `WHERE` clause names them.
    static let accessLogColumns = [
        "member": "c.member", "url": "c.url", "count": "c.count", "first_access": "c.first_access", "last_access": "c.last_access",
        "document_id": "c.document_id",
    ]

    /// Appends the `WHERE` condition of a report: documents (`d`) in the query's section, and the
    /// member column when the query names a member.
    static func appendFilter<Order>(_ query: ReportQuery<Order>, member column: String, to sql: inout String, _ bindings: inout PostgresBindings) {
        if query.section.isRoot {
            sql += "true"
        } else {
            // One range on the path index (which also gives the path order), then the `/` boundary.
            bindings.append(query.section.value)
            bindings.append(query.section.value + "0")
            bindings.append(query.section.value + "/")
            let count = bindings.count
            sql += "(d.path >= $\(count - 2) AND d.path < $\(count - 1) AND (d.path = $\(count - 2) OR d.path >= $\(count)))"
        }
        if let member = query.member {
            bindings.append(member)
            sql += " AND \(column) = $\(bindings.count)"
        }
    }

    /// Appends the condition of a query that continues after a row: its key columns after (or,
    /// descending, before) the key given.
    static func appendKeyset<Order>(_ query: ReportQuery<Order>, columns: [String: String], to sql: inout String, _ bindings: inout PostgresBindings)
    {
        guard let after = query.after, after.count == query.keyColumns.count else { return }
        var placeholders: [String] = []
        for key in after {
            switch key {
            case .text(let text): bindings.append(text)
            case .integer(let number): bindings.append(number)
            case .time(let date): bindings.append(date)
            }
            placeholders.append("$\(bindings.count)")
        }
        let names = query.keyColumns.map { columns[$0] ?? $0 }.joined(separator: ", ")
        sql += " AND (\(names)) \(query.descending ? "<" : ">") (\(placeholders.joined(separator: ", ")))"
    }

    /// The rows of a report in the query's section: from the totals kept per document (`column`),
    /// or counted when the query names a member.
    func sectionRows<Order>(_ column: String, _ query: ReportQuery<Order>, table: String, member: String) async throws -> Int {
        var sql =
            query.member == nil
            ? "SELECT coalesce(sum(d.\(column)), 0)::bigint FROM document d WHERE "
            : "SELECT count(*) FROM \(table) JOIN document d ON d.id = document_id WHERE "
        var bindings = PostgresBindings()
        Self.appendFilter(query, member: member, to: &sql, &bindings)
        for try await total in try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).decode(Int.self) {
            return total
        }
        return 0
    }

    public func trackedSections() async throws -> [TrackedSection] {
        try await rules.sections {
            try await run(.quick) { try await self.readSections() }
        }
    }

    private func readSections() async throws -> [TrackedSection] {
        let rows = try await client.query(
            """
            SELECT path, words_per_minute, maximum_seconds, minimum_seconds, requires_acknowledgement, requires_rereading
            FROM section ORDER BY path
            """,
            logger: logger
        )
        var sections: [TrackedSection] = []
        for try await (path, wordsPerMinute, maximum, minimum, acknowledgement, rereading) in rows.decode((String, Int, Int, Int, Bool, Bool).self) {
            guard let section = try? SectionPath(path) else { continue }
            let policy = ReadingPolicy(
                wordsPerMinute: wordsPerMinute,
                maximumSeconds: maximum,
                minimumSeconds: minimum,
                requiresAcknowledgement: acknowledgement,
                requiresRereading: rereading
            )
            sections.append(TrackedSection(path: section, policy: policy))
        }
        return sections
    }

    public func setTracked(_ section: SectionPath, _ tracked: Bool) async throws {
        defer { rules.changed() }
        let (client, logger) = (client, logger)
        try await run(.report) {
            try await client.withTransaction(logger: logger) { connection in
                if tracked {
                    try await connection.query("INSERT INTO section (path) VALUES (\(section.value)) ON CONFLICT (path) DO NOTHING", logger: logger)
                } else {
                    try await connection.query("DELETE FROM section WHERE path = \(section.value)", logger: logger)
                }
                try await Self.judgeReadingsAgain(under: section, keepEarlierDates: true, on: connection, logger: logger)
                try await Self.announceRulesChanged(on: connection, logger: logger)
            }
        }
    }

    /// Tells every instance listening that the sections or paths never tracked changed; sent
    /// when the transaction commits.
    private static func announceRulesChanged(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_notify(\(rulesChannel), '')", logger: logger)
    }

    public func ignoredPaths() async throws -> [SectionPath] {
        try await rules.ignoredPaths {
            try await run(.quick) {
                var paths: [SectionPath] = []
                for try await path in try await self.client.query("SELECT path FROM ignored_path ORDER BY path", logger: self.logger)
                    .decode(String.self)
                {
                    if let path = try? SectionPath(path) { paths.append(path) }
                }
                return paths
            }
        }
    }

    public func setIgnored(_ path: SectionPath, _ ignored: Bool) async throws {
        defer { rules.changed() }
        let (client, logger) = (client, logger)
        try await run(.report) {
            try await client.withTransaction(logger: logger) { connection in
                if ignored {
                    try await connection.query("INSERT INTO ignored_path (path) VALUES (\(path.value)) ON CONFLICT (path) DO NOTHING", logger: logger)
                } else {
                    try await connection.query("DELETE FROM ignored_path WHERE path = \(path.value)", logger: logger)
                }
                try await Self.announceRulesChanged(on: connection, logger: logger)
            }
        }
    }

    public func setPolicy(_ policy: ReadingPolicy, for section: SectionPath) async throws {
        defer { rules.changed() }
        let (client, logger) = (client, logger)
        try await run(.report) {
            try await client.withTransaction(logger: logger) { connection in
                let before = try await connection.query(
                    """
                    SELECT \(policy.wordsPerMinute) < words_per_minute OR \(policy.maximumSeconds) > maximum_seconds
                           OR \(policy.minimumSeconds) > minimum_seconds
                    FROM section WHERE path = \(section.value) FOR UPDATE
                    """,
                    logger: logger
                )
                var rose: Bool?
                for try await value in before.decode(Bool.self) { rose = value }
                guard let rose else { return }
                try await connection.query(
                    """
                    UPDATE section SET words_per_minute = \(policy.wordsPerMinute), maximum_seconds = \(policy.maximumSeconds),
                        minimum_seconds = \(policy.minimumSeconds), requires_acknowledgement = \(policy.requiresAcknowledgement),
                        requires_rereading = \(policy.requiresRereading)
                    WHERE path = \(section.value)
                    """,
                    logger: logger
                )
                try await Self.judgeReadingsAgain(under: section, keepEarlierDates: !rose, on: connection, logger: logger)
                try await Self.announceRulesChanged(on: connection, logger: logger)
            }
        }
    }

    /// Judges the readings of documents at or below `section` again under the policies that now
    /// apply (see ``ClickStorage/setPolicy(_:for:)``); only rows whose date changes are written.
    private static func judgeReadingsAgain(
        under section: SectionPath,
        keepEarlierDates: Bool,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let (exact, lower, upper) = (section.value, section.value + "/", section.value + "0")
        try await connection.query(
            """
            UPDATE reading r SET read_at = j.read_at
            FROM (
                SELECT r.member, r.document_id, r.version,
                       CASE WHEN clicktracker_meets_reading_time(r.document_id, r.words, r.active_ms, r.reached_end)
                            THEN CASE WHEN \(keepEarlierDates) AND r.read_at IS NOT NULL THEN r.read_at ELSE r.credited_at END END AS read_at
                FROM reading r JOIN document d ON d.id = r.document_id
                WHERE d.path = \(exact) OR (d.path >= \(lower) AND d.path < \(upper))
            ) AS j
            WHERE r.member = j.member AND r.document_id = j.document_id AND r.version = j.version AND r.read_at IS DISTINCT FROM j.read_at
            """,
            logger: logger
        )
        // A policy also decides whether a reading needs a confirmation or a re-read: every
        // request's progress is summed up again.
        try await connection.query("SELECT clicktracker_set_progress_aside(NULL)", logger: logger)
    }

    public func statistics() async throws -> StorageStatistics {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                SELECT (SELECT count(*) FROM document), (SELECT count(*) FROM view), (SELECT count(*) FROM click),
                       (SELECT coalesce(sum(count), 0)::bigint FROM click), (SELECT count(*) FROM section)
                """,
                logger: logger
            )
            for try await (documents, views, clickRows, clicks, sections) in rows.decode((Int, Int, Int, Int, Int).self) {
                return StorageStatistics(documents: documents, views: views, clickRows: clickRows, clicks: clicks, sections: sections)
            }
            return StorageStatistics(documents: 0, views: 0, clickRows: 0, clicks: 0, sections: 0)
        }
    }

    public func views(after position: Int64, limit: Int) async throws -> [StoredView] {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                SELECT v.id, v.member, d.key, d.path, d.title, v.url, v.render_id, v.issued_at, v.viewed_at, v.version,
                       coalesce(v.words, 0), v.active_ms, v.max_scroll, v.reached_end, v.automated, v.report_seq, r.acknowledged_at
                FROM view v JOIN document d ON d.id = v.document_id
                LEFT JOIN reading r ON r.acknowledged_render = v.render_id AND r.member = v.member
                                   AND r.document_id = v.document_id AND r.version = coalesce(v.version, '')
                WHERE v.id > \(position) ORDER BY v.id LIMIT \(limit)
                """,
                logger: logger
            )
            var views: [StoredView] = []
            for try await row in rows {
                let (id, member, key, path, title, url, renderID, issued, viewed) = try row.decode(
                    (Int64, String, String, String, String?, String, String, Date, Date).self
                )
                let columns = row.makeRandomAccess()
                let version = try columns[9].decode(String?.self)
                let words = try columns[10].decode(Int.self)
                let attention = Attention(
                    sequence: try columns[15].decode(Int.self),
                    activeMilliseconds: try columns[11].decode(Int.self),
                    scrollPercent: try columns[12].decode(Int.self),
                    reachedEnd: try columns[13].decode(Bool.self),
                    automated: try columns[14].decode(Bool.self)
                )
                let event = ViewEvent(
                    member: member,
                    document: DocumentReference(key: key, path: path, title: title),
                    url: url,
                    renderID: renderID,
                    issuedAt: issued,
                    viewedAt: viewed,
                    version: version.map { DocumentVersion(id: $0, words: words) },
                    attention: attention
                )
                views.append(StoredView(position: id, event: event, acknowledgedAt: try columns[16].decode(Date?.self)))
            }
            return views
        }
    }

    public func countRecorded(renderIDs: [String]) async throws -> Int {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query("SELECT count(*) FROM view WHERE render_id = ANY(\(renderIDs))", logger: logger)
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }

    /// Nothing to close here: the pool stops when ``run()`` ends.
    public func close() async throws {}
}
