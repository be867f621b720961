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

    /// Opens the store. A PostgreSQL database must hold the schema version this binary
    /// writes (``PostgresSchema/initialise(_:logger:)`` sets it up); its pool starts running.
    /// - Parameter initialSections: Marked if the database is new (no sections, no views).
    func open(initialSections: [SectionPath], logger: Logger) async throws -> LiveStore.Active {
        switch self {
        case .sqlite(let path):
            let isNewDatabase = !FileManager.default.fileExists(atPath: path)
            let store = try await SQLiteStore.open(path: path)
            if isNewDatabase {
                for section in initialSections { try await store.setTracked(section, true) }
            }
            return LiveStore.Active(store: store, location: self, runner: nil)
        case .postgres(let dsn):
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
            let store = PostgresStore(configuration: dsn.clientConfiguration, logger: logger)
            let runner = Task { await store.client.run() }
            return LiveStore.Active(store: store, location: self, runner: runner)
        }
    }
}
