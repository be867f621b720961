import ClickTracker
import ClickTrackerPostgres
import ClickTrackerSQLite
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// The store the server runs on — SQLite by default, PostgreSQL when a DSN is configured — and
/// the services it needs running.
struct ServerStorage {
    let store: any ClickStorage
    let services: [any Service]

    static func open(_ configuration: ServerConfiguration, logger: Logger) async throws -> ServerStorage {
        let initialSections = try configuration.initialSections.map { try SectionPath($0) }
        guard let dsnString = configuration.postgresDSN else {
            let isNewDatabase = !FileManager.default.fileExists(atPath: configuration.databasePath)
            let store = try await SQLiteStore.open(path: configuration.databasePath)
            if isNewDatabase {
                for section in initialSections { try await store.setTracked(section, true) }
            }
            return ServerStorage(store: store, services: [])
        }
        let dsn = try PostgresDSN(dsnString)
        do {
            let connection = try await PostgresConnection.connect(configuration: try dsn.connectionConfiguration(), id: 1, logger: logger)
            do {
                try await checkSchema(on: connection, dsn: dsn, logger: logger)
                try await PostgresSchema.seedSections(initialSections, on: connection, logger: logger)
                try await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
        } catch let error as PSQLError {
            throw PostgresSchema.SetupError(description: "\(dsn): \(error.operatorDescription)")
        }
        let store = PostgresStore(configuration: dsn.clientConfiguration, logger: logger)
        return ServerStorage(store: store, services: [store])
    }

    /// The server runs only on the schema version it was built for; `db init` sets it up.
    private static func checkSchema(on connection: PostgresConnection, dsn: PostgresDSN, logger: Logger) async throws {
        let version = try await PostgresSchema.installedVersion(connection, logger: logger)
        guard version != PostgresSchema.version else { return }
        let found = version.map { "ClickTracker schema version \($0), this binary needs \(PostgresSchema.version)" } ?? "no ClickTracker schema"
        throw PostgresSchema.SetupError(description: "\(dsn) has \(found); run: clicktracker db init --dsn '…'")
    }
}
