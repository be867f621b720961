import ClickTracker
import Logging
import PostgresNIO

/// The PostgreSQL schema: `sql/db.sql`, compiled into the binary, and the setup step that
/// loads it (the seed's GenericSetup step).
public enum PostgresSchema {
    /// What ``initialise(_:logger:)`` did.
    public enum Outcome: Sendable, Equatable, CustomStringConvertible {
        case created
        /// The tables of the original slc.clicktracker were migrated, keeping their access log.
        case migratedFromSeed
        case upgraded(from: Int)
        case current

        public var description: String {
            switch self {
            case .created: "created the ClickTracker schema (version \(PostgresSchema.version))"
            case .migratedFromSeed:
                "migrated the tables of slc.clicktracker to the ClickTracker schema (version \(PostgresSchema.version)), keeping their access log"
            case .upgraded(let from):
                "upgraded the ClickTracker schema from version \(from) to \(PostgresSchema.version)"
                    + (from < 6
                        ? "; readings that met their reading time were dated from their summaries, and reading requests now name the documents seen under them"
                        : "")
                    + (from < 7 ? "; reading requests keep each reader's progress, summed up when a request is first shown" : "")
                    + (from < 9
                        ? "; webhooks and reminders were added (existing reading requests get reminders once they are set on their pages)" : "")
                    + (from < 10 ? "; " + PostgresSchema.evidenceUpgrade : "")
            case .current: "the ClickTracker schema is current (version \(PostgresSchema.version)); nothing to do"
            }
        }
    }

    /// Why the schema could not be set up.
    public struct SetupError: Error, CustomStringConvertible {
        public let description: String
        /// `true` when the server could not be reached at all (rather than refusing something).
        public let isUnreachable: Bool

        /// Creates an error with a message for operators.
        public init(description: String, isUnreachable: Bool = false) {
            self.description = description
            self.isUnreachable = isUnreachable
        }
    }

    /// What the upgrade to version 10 did, for operators.
    static let evidenceUpgrade =
        "the evidence log was added: the views and acknowledgements already recorded are its first entry, and everything recorded from now on is sealed into it"

    /// The schema version `sql/db.sql` creates.
    public static let version = 10

    /// The text of `sql/db.sql`.
    public static let sql = String(decoding: PackageResources.db_sql, as: UTF8.self)

    /// Creates or migrates the schema over one connection; safe to run any number of times,
    /// from several instances at once (the script takes an advisory lock).
    /// - Throws: ``SetupError`` when the database holds a newer schema, or the server's error
    ///   (for example a role without the right to create tables).
    public static func initialise(_ connection: PostgresConnection, logger: Logger) async throws -> Outcome {
        let status = try await DatabaseStatus.read(connection, logger: logger)
        let before = status.schemaVersion
        if let before, before > version {
            throw SetupError(
                description: "the database has ClickTracker schema version \(before), newer than this binary's (\(version)); upgrade clicktracker"
            )
        }
        do {
            for statement in SQLScript.statements(sql) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
        guard let before else { return status.hasSeedSchema ? .migratedFromSeed : .created }
        return before < version ? .upgraded(from: before) : .current
    }

    /// The schema version in the database, `nil` if ClickTracker's tables are not there.
    public static func installedVersion(_ connection: PostgresConnection, logger: Logger) async throws -> Int? {
        let exists = try await connection.query("SELECT to_regclass('clicktracker_schema') IS NOT NULL", logger: logger)
        for try await found in exists.decode(Bool.self) where !found {
            return nil
        }
        let rows = try await connection.query("SELECT coalesce(max(version), 0) FROM clicktracker_schema", logger: logger)
        for try await found in rows.decode(Int.self) {
            return found
        }
        return nil
    }
}

extension PostgresSchema {
    /// Marks `sections` if the database has neither sections nor views yet (a fresh database),
    /// so a first start shows tracking at once; later starts leave the admin's choices alone.
    public static func seedSections(_ sections: [SectionPath], on connection: PostgresConnection, logger: Logger) async throws {
        guard !sections.isEmpty else { return }
        let rows = try await connection.query(
            "SELECT NOT EXISTS (SELECT 1 FROM section) AND NOT EXISTS (SELECT 1 FROM view)",
            logger: logger
        )
        for try await isFresh in rows.decode(Bool.self) where isFresh {
            let paths = sections.map(\.value)
            try await connection.query(
                "INSERT INTO section (path) SELECT unnest(\(paths)) ON CONFLICT (path) DO NOTHING",
                logger: logger
            )
        }
    }
}
