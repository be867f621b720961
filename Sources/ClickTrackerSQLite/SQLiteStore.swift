import ClickTracker
import Foundation
import Logging
import SQLiteNIO

/// The embedded default store: one SQLite file in WAL mode.
///
/// Writes go through one connection, one transaction at a time, with `synchronous=FULL` so a
/// committed batch survives a crash of the process or the machine. Reports read through a
/// second connection and never see a half-written batch.
public final class SQLiteStore: ClickStorage {
    /// Why the store could not be opened.
    public enum OpenError: Error, CustomStringConvertible {
        case schemaTooNew(found: Int, supported: Int)

        public var description: String {
            switch self {
            case .schemaTooNew(let found, let supported):
                "the database has schema version \(found), newer than this binary supports (\(supported)); upgrade clicktracker"
            }
        }
    }

    /// The database file.
    public let path: String
    private let writer: SQLiteConnection
    private let reader: SQLiteConnection
    private let writeLock = AsyncLock()

    private init(path: String, writer: SQLiteConnection, reader: SQLiteConnection) {
        self.path = path
        self.writer = writer
        self.reader = reader
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// - Parameters:
    ///   - path: The database file.
    ///   - logger: Logger for the connections.
    public static func open(path: String, logger: Logger = Logger(label: "clicktracker.sqlite")) async throws -> SQLiteStore {
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            for pragma in ["PRAGMA busy_timeout = 10000", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"] {
                _ = try await writer.query(pragma)
            }
            try await migrate(writer)
        } catch {
            try? await writer.close()
            throw error
        }
        let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        _ = try await reader.query("PRAGMA busy_timeout = 10000")
        return SQLiteStore(path: path, writer: writer, reader: reader)
    }

    private static func migrate(_ connection: SQLiteConnection) async throws {
        _ = try await connection.query("BEGIN IMMEDIATE")
        do {
            let version = try await connection.query("PRAGMA user_version").first?.column("user_version")?.integer ?? 0
            guard version <= SQLiteSchema.currentVersion else {
                throw OpenError.schemaTooNew(found: version, supported: SQLiteSchema.currentVersion)
            }
            for migration in SQLiteSchema.migrations.dropFirst(version) {
                for statement in migration {
                    _ = try await connection.query(statement)
                }
            }
            _ = try await connection.query("PRAGMA user_version = \(SQLiteSchema.currentVersion)")
            _ = try await connection.query("COMMIT")
        } catch {
            _ = try? await connection.query("ROLLBACK")
            throw error
        }
    }

    /// The schema version stored in the file.
    public func schemaVersion() async throws -> Int {
        try await reader.query("PRAGMA user_version").first?.column("user_version")?.integer ?? 0
    }

    /// Rows per multi-row statement, well below SQLite's limit of bound parameters.
    static let rowsPerStatement = 500

    /// Writes a batch with a handful of multi-row statements, however many events it holds:
    /// documents, then views (render ids that already exist are skipped), then the per-member
    /// summary, then the path and title of documents whose newest render this batch holds.
    @discardableResult
    public func record(_ events: [ViewEvent]) async throws -> Int {
        guard !events.isEmpty else { return 0 }
        return try await transaction { connection in
            var documentIDs: [String: Int] = [:]
            for chunk in Self.latestDocuments(events).chunks(of: Self.rowsPerStatement) {
                let rows = try await connection.query(
                    """
                    INSERT INTO document (key, path, title, seen_at) VALUES \(Self.placeholders(rows: chunk.count, columns: 4))
                    ON CONFLICT (key) DO UPDATE SET key = excluded.key
                    RETURNING id, key
                    """,
                    chunk.flatMap { latest -> [SQLiteData] in
                        [
                            .text(latest.document.key), .text(latest.document.path), Self.optional(latest.document.title),
                            .integer(Self.milliseconds(latest.issuedAt)),
                        ]
                    }
                )
                for row in rows {
                    if let key = row.column("key")?.string, let id = row.column("id")?.integer { documentIDs[key] = id }
                }
            }

            var inserted: Set<String> = []
            for chunk in events.chunks(of: Self.rowsPerStatement) {
                let rows = try await connection.query(
                    """
                    INSERT INTO view (render_id, member, document_id, url, issued_at, viewed_at)
                    VALUES \(Self.placeholders(rows: chunk.count, columns: 6))
                    ON CONFLICT (render_id) DO NOTHING
                    RETURNING render_id
                    """,
                    chunk.flatMap { event -> [SQLiteData] in
                        [
                            .text(event.renderID), .text(event.member), .integer(documentIDs[event.document.key] ?? 0), .text(event.url),
                            .integer(Self.milliseconds(event.issuedAt)), .integer(Self.milliseconds(event.viewedAt)),
                        ]
                    }
                )
                inserted.formUnion(rows.compactMap { $0.column("render_id")?.string })
            }
            let recorded = events.filter { inserted.remove($0.renderID) != nil }

            let summaries = ClickSummary.summarise(recorded, documentIDs: documentIDs)
            for chunk in summaries.chunks(of: Self.rowsPerStatement) {
                _ = try await connection.query(
                    """
                    INSERT INTO click (member, document_id, url, count, first_access, last_access)
                    VALUES \(Self.placeholders(rows: chunk.count, columns: 6))
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

            // Path and title follow the newest render, never a replayed or older one.
            for latest in Self.latestDocuments(recorded) {
                let issuedAt = SQLiteData.integer(Self.milliseconds(latest.issuedAt))
                _ = try await connection.query(
                    "UPDATE document SET path = ?, title = coalesce(?, title), seen_at = ? WHERE id = ? AND seen_at < ?",
                    [
                        .text(latest.document.path), Self.optional(latest.document.title), issuedAt,
                        .integer(documentIDs[latest.document.key] ?? 0), issuedAt,
                    ]
                )
            }
            return recorded.count
        }
    }

    public func accessLog(_ query: AccessLogQuery) async throws -> AccessLogPage {
        let (filter, binds) = Self.sectionFilter(query.section)
        let rows = try await reader.query(
            """
            SELECT c.member AS member, c.url AS url, max(d.title) AS title, sum(c.count) AS count,
                   min(c.first_access) AS first_access, max(c.last_access) AS last_access
            FROM click c JOIN document d ON d.id = c.document_id
            WHERE \(filter)
            GROUP BY c.member, c.url
            ORDER BY \(query.sqlOrderBy)
            LIMIT ? OFFSET ?
            """,
            binds + [.integer(query.limit), .integer(query.offset)]
        )
        let total = try await reader.query(
            """
            SELECT count(*) AS total FROM (
                SELECT 1 FROM click c JOIN document d ON d.id = c.document_id WHERE \(filter) GROUP BY c.member, c.url
            )
            """,
            binds
        )
        let entries = rows.map { row in
            AccessLogEntry(
                member: row.column("member")?.string ?? "",
                url: row.column("url")?.string ?? "",
                title: row.column("title")?.string,
                count: row.column("count")?.integer ?? 0,
                firstAccess: Self.date(row.column("first_access")),
                lastAccess: Self.date(row.column("last_access"))
            )
        }
        return AccessLogPage(entries: entries, total: total.first?.column("total")?.integer ?? 0)
    }

    public func trackedSections() async throws -> [SectionPath] {
        try await reader.query("SELECT path FROM section ORDER BY path").compactMap { row in
            row.column("path")?.string.flatMap { try? SectionPath($0) }
        }
    }

    public func setTracked(_ section: SectionPath, _ tracked: Bool) async throws {
        try await transaction { connection in
            if tracked {
                _ = try await connection.query(
                    "INSERT INTO section (path, created_at) VALUES (?, ?) ON CONFLICT (path) DO NOTHING",
                    [.text(section.value), .integer(Self.milliseconds(Date()))]
                )
            } else {
                _ = try await connection.query("DELETE FROM section WHERE path = ?", [.text(section.value)])
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
                   v.render_id AS render_id, v.issued_at AS issued_at, v.viewed_at AS viewed_at
            FROM view v JOIN document d ON d.id = v.document_id
            WHERE v.id > ? ORDER BY v.id LIMIT ?
            """,
            [.integer(Int(position)), .integer(limit)]
        )
        return rows.map { row in
            let document = DocumentReference(
                key: row.column("key")?.string ?? "",
                path: row.column("path")?.string ?? "",
                title: row.column("title")?.string
            )
            let event = ViewEvent(
                member: row.column("member")?.string ?? "",
                document: document,
                url: row.column("url")?.string ?? "",
                renderID: row.column("render_id")?.string ?? "",
                issuedAt: Self.date(row.column("issued_at")),
                viewedAt: Self.date(row.column("viewed_at"))
            )
            return StoredView(position: Int64(row.column("id")?.integer ?? 0), event: event)
        }
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
        try await reader.close()
        try await writer.close()
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT` on the writer, rolling back if it throws.
    private func transaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        let connection = writer
        return try await writeLock.withLock {
            _ = try await connection.query("BEGIN IMMEDIATE")
            do {
                let result = try await body(connection)
                _ = try await connection.query("COMMIT")
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
    }

    /// The `WHERE` clause selecting documents at or below a section, without `LIKE`: a range on
    /// the path index (`'0'` is the character after `'/'`), so `_` and `%` in paths match only themselves.
    static func sectionFilter(_ section: SectionPath) -> (String, [SQLiteData]) {
        if section.isRoot { return ("1 = 1", []) }
        return (
            "(d.path = ? OR (d.path >= ? AND d.path < ?))",
            [.text(section.value), .text(section.value + "/"), .text(section.value + "0")]
        )
    }

    /// Each document in `events` as its newest render shows it: the newest path, the newest
    /// title any render carried, and that render's issue time.
    static func latestDocuments(_ events: [ViewEvent]) -> [(document: DocumentReference, issuedAt: Date)] {
        var latest: [String: (document: DocumentReference, issuedAt: Date, titledAt: Date)] = [:]
        for event in events {
            guard var current = latest[event.document.key] else {
                latest[event.document.key] = (event.document, event.issuedAt, event.document.title == nil ? .distantPast : event.issuedAt)
                continue
            }
            if event.issuedAt >= current.issuedAt {
                let title = current.document.title
                current.document = event.document
                current.document.title = title
                current.issuedAt = event.issuedAt
            }
            if let title = event.document.title, event.issuedAt >= current.titledAt {
                current.document.title = title
                current.titledAt = event.issuedAt
            }
            latest[event.document.key] = current
        }
        return latest.values.map { ($0.document, $0.issuedAt) }
    }

    /// `(?, ?, …), (?, ?, …), …` for a multi-row `VALUES` list.
    static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }

    static func optional(_ text: String?) -> SQLiteData {
        text.map(SQLiteData.text) ?? .null
    }

    static func milliseconds(_ date: Date) -> Int {
        Int((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func date(_ data: SQLiteData?) -> Date {
        Date(timeIntervalSince1970: Double(data?.integer ?? 0) / 1000)
    }
}
