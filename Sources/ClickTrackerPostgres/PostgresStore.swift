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
    private let logger: Logger
    private let availability: ServerAvailability
    private let requiredSchemaVersion: Int?
    private let schemaVerified = Mutex(false)

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
    private func run<T: Sendable>(_ call: ServerAvailability.Call, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await availability.run(call) {
            try await self.verifySchema()
            return try await operation()
        }
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

    /// Runs the connection pool until the task is cancelled.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.client.run()
        }
    }

    @discardableResult
    public func record(_ events: [ViewEvent]) async throws -> Int {
        guard !events.isEmpty else { return 0 }
        return try await run(.quick) { try await self.write(events) }
    }

    /// PostgreSQL text cannot hold NUL characters (SQLite can); they are stored as U+FFFD.
    private static func storable(_ text: String) -> String {
        text.utf8.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
    }

    private func write(_ events: [ViewEvent]) async throws -> Int {
        let text = { (value: (ViewEvent) -> String) in events.map { Self.storable(value($0)) } }
        let rows = try await client.query(
            """
            SELECT clicktracker_record(
                \(text(\.member)), \(text(\.document.key)), \(text(\.document.path)),
                \(text { $0.document.title ?? "" }), \(text(\.url)), \(text(\.renderID)),
                \(events.map(\.issuedAt)), \(events.map(\.viewedAt))
            )
            """,
            logger: logger
        )
        for try await recorded in rows.decode(Int32.self) {
            return Int(recorded)
        }
        return 0
    }

    public func accessLog(_ query: AccessLogQuery) async throws -> AccessLogPage {
        try await run(.report) { try await self.readAccessLog(query) }
    }

    private func readAccessLog(_ query: AccessLogQuery) async throws -> AccessLogPage {
        let section = query.section
        let (exact, lower, upper) = (section.value, section.value + "/", section.value + "0")
        let everything = section.isRoot
        let rows = try await client.query(
            """
            SELECT c.member AS member, c.url AS url, max(d.title), sum(c.count)::bigint AS count, min(c.first_access) AS first_access,
                   max(c.last_access) AS last_access,
                   count(*) OVER () AS total
            FROM click c JOIN document d ON d.id = c.document_id
            WHERE \(everything) OR d.path = \(exact) OR (d.path >= \(lower) AND d.path < \(upper))
            GROUP BY c.member, c.url
            ORDER BY \(unescaped: query.sqlOrderBy)
            LIMIT \(query.limit) OFFSET \(query.offset)
            """,
            logger: logger
        )
        var entries: [AccessLogEntry] = []
        var total = 0
        for try await (member, url, title, count, first, last, all) in rows.decode((String, String, String?, Int, Date, Date, Int).self) {
            entries.append(AccessLogEntry(member: member, url: url, title: title, count: count, firstAccess: first, lastAccess: last))
            total = all
        }
        if entries.isEmpty, query.offset > 0 {
            total = try await groupCount(exact: exact, lower: lower, upper: upper, everything: everything)
        }
        return AccessLogPage(entries: entries, total: total)
    }

    private func groupCount(exact: String, lower: String, upper: String, everything: Bool) async throws -> Int {
        let rows = try await client.query(
            """
            SELECT count(*) FROM (
                SELECT 1 FROM click c JOIN document d ON d.id = c.document_id
                WHERE \(everything) OR d.path = \(exact) OR (d.path >= \(lower) AND d.path < \(upper))
                GROUP BY c.member, c.url
            ) AS groups
            """,
            logger: logger
        )
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    public func trackedSections() async throws -> [SectionPath] {
        try await run(.quick) { try await self.readSections() }
    }

    private func readSections() async throws -> [SectionPath] {
        var sections: [SectionPath] = []
        for try await path in try await client.query("SELECT path FROM section ORDER BY path", logger: logger).decode(String.self) {
            if let section = try? SectionPath(path) { sections.append(section) }
        }
        return sections
    }

    public func setTracked(_ section: SectionPath, _ tracked: Bool) async throws {
        let (client, logger) = (client, logger)
        try await run(.report) {
            if tracked {
                _ = try await client.query("INSERT INTO section (path) VALUES (\(section.value)) ON CONFLICT (path) DO NOTHING", logger: logger)
            } else {
                _ = try await client.query("DELETE FROM section WHERE path = \(section.value)", logger: logger)
            }
        }
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
                SELECT v.id, v.member, d.key, d.path, d.title, v.url, v.render_id, v.issued_at, v.viewed_at
                FROM view v JOIN document d ON d.id = v.document_id
                WHERE v.id > \(position) ORDER BY v.id LIMIT \(limit)
                """,
                logger: logger
            )
            var views: [StoredView] = []
            let columns = (Int64, String, String, String, String?, String, String, Date, Date).self
            for try await (id, member, key, path, title, url, renderID, issued, viewed) in rows.decode(columns) {
                let document = DocumentReference(key: key, path: path, title: title)
                let event = ViewEvent(member: member, document: document, url: url, renderID: renderID, issuedAt: issued, viewedAt: viewed)
                views.append(StoredView(position: id, event: event))
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
