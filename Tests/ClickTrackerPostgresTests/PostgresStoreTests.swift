import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import ClickTrackerPostgres

/// The PostgreSQL store against a real PostgreSQL server (a throwaway cluster the tests start).
@Suite("PostgreSQL store (real server)")
struct PostgresStoreTests {
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sql/db.sql").path

    /// A new database with `sql/db.sql` loaded by psql, as an operator would.
    static func database() async throws -> (port: Int, database: String) {
        let (port, database) = try await PostgresServer.shared.createDatabase()
        try PostgresServer.psql(port: port, database: database, ["-f", schema])
        return (port, database)
    }

    static func withStores(_ body: @escaping @Sendable (PostgresStore, PostgresStore, Int, String) async throws -> Void) async throws {
        let (port, database) = try await database()
        let configuration = PostgresClient.Configuration(
            host: "127.0.0.1",
            port: port,
            username: "postgres",
            password: nil,
            database: database,
            tls: .disable
        )
        let store = PostgresStore(configuration: configuration)
        let second = PostgresStore(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            group.addTask { try await second.run() }
            defer { group.cancelAll() }
            try await body(store, second, port, database)
        }
    }

    @Test("Storage contract", arguments: StorageConformance.allCases)
    func conformance(_ check: StorageConformance) async throws {
        try await Self.withStores { store, second, _, _ in
            try await check.run(store, second: second)
        }
    }

    @Test("sql/db.sql loads twice with psql and the second load changes nothing")
    func schemaIsIdempotent() async throws {
        try await Self.withStores { store, _, port, database in
            try await store.setTracked(try SectionPath("/papers"), true)
            try await store.record([
                ViewEvent(
                    member: "alice",
                    document: DocumentReference(path: "/papers/a.html", title: "A"),
                    url: "/papers/a.html",
                    renderID: "r1",
                    issuedAt: Date(),
                    viewedAt: Date()
                )
            ])
            let dump = { try PostgresServer.psql(port: port, database: database, ["-A", "-t", "-c", Self.snapshotQuery]) }
            let before = try dump()
            try PostgresServer.psql(port: port, database: database, ["-f", Self.schema])
            #expect(try dump() == before)
            #expect(before.contains("alice"))
            let versions = try PostgresServer.psql(port: port, database: database, ["-A", "-t", "-c", "SELECT version FROM clicktracker_schema"])
            #expect(versions == "1\n")
        }
    }

    @Test("A database with a newer schema is refused by sql/db.sql")
    func newerSchemaRefused() async throws {
        let (port, database) = try await Self.database()
        try PostgresServer.psql(port: port, database: database, ["-c", "INSERT INTO clicktracker_schema (version) VALUES (2)"])
        #expect(throws: PostgresServer.Failure.self) {
            try PostgresServer.psql(port: port, database: database, ["-f", Self.schema])
        }
    }

    static let snapshotQuery = """
        SELECT (SELECT string_agg(key || path || coalesce(title, ''), ',' ORDER BY key) FROM document),
               (SELECT string_agg(render_id || member, ',' ORDER BY render_id) FROM view),
               (SELECT string_agg(member || url || count, ',' ORDER BY member, url) FROM click),
               (SELECT string_agg(path, ',' ORDER BY path) FROM section),
               (SELECT count(*) FROM pg_proc WHERE proname = 'clicktracker_record')
        """
}
