import ClickTracker
import ClickTrackerPostgres
import Logging

/// The store a configuration names, opened for a command-line tool: the PostgreSQL database of
/// `postgres.dsn` (which must hold the current schema), or else the SQLite file.
public enum ConfiguredStore {
    /// Opens the store, runs `body` with it and closes it again.
    public static func with<T: Sendable>(
        _ configuration: ServerConfiguration,
        logger: Logger = Logger(label: "clicktracker"),
        _ body: (any ClickStorage) async throws -> T
    ) async throws -> T {
        let location: StoreLocation =
            try configuration.postgresDSN.map { .postgres(try PostgresDSN($0)) } ?? .sqlite(path: configuration.databasePath)
        let active = try await location.open(initialSections: [], logger: logger)
        do {
            let result = try await body(active.store)
            await LiveStore.retire(active)
            return result
        } catch {
            await LiveStore.retire(active)
            throw error
        }
    }
}
