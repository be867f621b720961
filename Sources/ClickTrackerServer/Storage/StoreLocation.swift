import ClickTracker
import ClickTrackerPostgres
import ClickTrackerSQLite
import Foundation
import Logging

/// Where the server keeps its reads: the SQLite file (the default) or a PostgreSQL database.
enum StoreLocation: Sendable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresDSN)

    /// How long opening checks may wait for PostgreSQL.
    static let connectTimeout = Duration.seconds(10)

    var description: String {
        switch self {
        case .sqlite(let path): "SQLite file \(path)"
        case .postgres(let dsn): "PostgreSQL \(dsn)"
        }
    }

    var isPostgres: Bool {
        if case .postgres = self { true } else { false }
    }

    /// Refuses, before any file is made, what ``open(initialSections:allowsUnreachable:logger:)``
    /// would fail on at once: an SQLite file that cannot be written.
    func check() throws {
        if case .sqlite(let path) = self { try SQLiteStore.checkWritable(path: path) }
    }

    /// Opens the store. A PostgreSQL database must hold the schema version this binary
    /// writes (``PostgresSchema/initialise(_:logger:)`` sets it up); its pool starts running.
    /// - Parameters:
    ///   - initialSections: Marked if the database is new (no sections, no views).
    ///   - allowsUnreachable: Start on a PostgreSQL database that cannot be reached now (at
    ///     server start, with a spool); its schema is then checked when it answers.
    func open(initialSections: [SectionPath], allowsUnreachable: Bool = false, logger: Logger) async throws -> LiveStore.Active {
        switch self {
        case .sqlite(let path):
            let isNewDatabase = !FileManager.default.fileExists(atPath: path)
            let store = try await SQLiteStore.open(path: path)
            if let upgrade = store.upgrade { logger.notice("\(path): \(upgrade)") }
            if isNewDatabase {
                for section in initialSections { try await store.setTracked(section, true) }
            }
            return LiveStore.Active(store: store, location: self, runner: nil)
        case .postgres(let dsn):
            do {
                try await dsn.withConnection(timeout: Self.connectTimeout, logger: logger) { connection in
                    let status = try await DatabaseStatus.read(connection, logger: logger)
                    guard status.schemaVersion == PostgresSchema.version else {
                        let found =
                            status.schemaVersion.map { "ClickTracker schema version \($0), this binary needs \(PostgresSchema.version)" }
                            ?? (status.hasSeedSchema ? "the tables of the original slc.clicktracker" : "no ClickTracker schema")
                        throw PostgresSchema.SetupError(description: "found \(found); initialise it first (clicktracker db init --dsn '…')")
                    }
                    try await PostgresSchema.seedSections(initialSections, on: connection, logger: logger)
                }
            } catch let error as PostgresSchema.SetupError where error.isUnreachable && allowsUnreachable {
                // Start anyway: beacons go to the spool, and the schema is checked when the database answers.
                logger.warning("PostgreSQL is unreachable at start (\(error)); accepted reads are spooled until it answers")
            }
            let store = PostgresStore(configuration: dsn.clientConfiguration, requiredSchemaVersion: PostgresSchema.version, logger: logger)
            let runner = Task { await store.client.run() }
            return LiveStore.Active(store: store, location: self, runner: runner)
        }
    }
}
