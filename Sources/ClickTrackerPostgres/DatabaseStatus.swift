import Logging
import PostgresNIO

/// What a connection test finds in a database, for the control panel.
public struct DatabaseStatus: Sendable, Equatable {
    /// The server's version, such as `15.8`.
    public var serverVersion: String
    /// The database connected to.
    public var database: String
    /// The role connected as.
    public var user: String
    /// The ClickTracker schema version, `nil` if there is none.
    public var schemaVersion: Int?
    /// `true` if the tables of the original slc.clicktracker are there (``PostgresSchema/initialise(_:logger:)`` migrates them).
    public var hasSeedSchema: Bool
    /// `true` if the role may create tables (needed to initialise).
    public var canCreateTables: Bool

    /// Reads the status over a connection.
    public static func read(_ connection: PostgresConnection, logger: Logger) async throws -> DatabaseStatus {
        let rows = try await connection.query(
            """
            SELECT current_setting('server_version'), current_database(), current_user::text,
                   coalesce(has_schema_privilege(current_schema(), 'CREATE'), false),
                   EXISTS (
                       SELECT 1 FROM information_schema.columns
                       WHERE table_schema = current_schema() AND table_name = 'click' AND column_name = 'lastaccess'
                   )
            """,
            logger: logger
        )
        var status = DatabaseStatus(serverVersion: "", database: "", user: "", schemaVersion: nil, hasSeedSchema: false, canCreateTables: false)
        for try await (version, database, user, canCreate, seed) in rows.decode((String, String, String, Bool, Bool).self) {
            status = DatabaseStatus(
                serverVersion: version,
                database: database,
                user: user,
                schemaVersion: nil,
                hasSeedSchema: seed,
                canCreateTables: canCreate
            )
        }
        status.schemaVersion = try await PostgresSchema.installedVersion(connection, logger: logger)
        return status
    }
}
