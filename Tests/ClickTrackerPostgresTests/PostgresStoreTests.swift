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

    /// The connection string of a test database, as an operator would write it.
    static func dsn(port: Int, database: String) throws -> PostgresDSN {
        try PostgresDSN("host=127.0.0.1 port=\(port) user=postgres dbname=\(database) sslmode=disable")
    }

    static func withStores(_ body: @escaping @Sendable (PostgresStore, PostgresStore, Int, String) async throws -> Void) async throws {
        let (port, database) = try await database()
        let configuration = try dsn(port: port, database: database).clientConfiguration
        // The contract is about what is stored, not how fast: a generous limit for an answer, so a
        // machine busy with other tests is not taken for an unreachable server (the outage tests
        // check the 5 s the server uses).
        let store = PostgresStore(configuration: configuration, timeout: .seconds(60))
        let second = PostgresStore(configuration: configuration, timeout: .seconds(60))
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

    @Test("Evidence log: one chain from two instances; retention and purges keep it verifiable; rows edited, deleted or added in SQL are caught")
    func evidenceLog() async throws {
        try await Self.withStores { store, second, port, database in
            try await EvidenceLogCheck.run(store, second: second) { sql in
                _ = try PostgresServer.psql(port: port, database: database, ["-c", sql])
            }
        }
    }

    @Test("A database upgraded to schema version 10 by db init begins its evidence log with the rows it held, which verify")
    func evidenceAdopted() async throws {
        try await Self.withStores { store, _, port, database in
            let alice = StorageConformance.event("alice", "/p/a.html")
            try await store.record([alice, StorageConformance.event("bob", "/p/a.html")])
            try await store.record([StorageConformance.report(alice, .acknowledgement, at: 5)])
            // As a version 9 database was: no log. Loading sql/db.sql again upgrades it.
            _ = try PostgresServer.psql(
                port: port,
                database: database,
                ["-c", "DROP TABLE evidence_entry, evidence_checkpoint, request_receipt; DELETE FROM clicktracker_schema WHERE version = 10"]
            )
            _ = try PostgresServer.psql(port: port, database: database, ["-f", Self.schema])
            let entries = try await store.evidenceEntries(sealed: false, after: 0, limit: 10)
            #expect(entries.map(\.kind) == ["adopted"] && entries.first?.leaves.split(separator: "\n").count == 3)
            try await EvidenceSealer(log: store, key: EvidenceLogCheck.key).seal()
            let report = try await EvidenceVerifier(log: store, key: EvidenceLogCheck.key.publicKey).verify()
            #expect(report.isIntact && report.viewsChecked == 2 && report.acknowledgementsChecked == 1, "\(report.problems)")
        }
    }

    @Test("Text with NUL characters, which PostgreSQL cannot store, is recorded with U+FFFD instead of failing")
    func nulCharacters() async throws {
        try await Self.withStores { store, _, _, _ in
            let event = StorageConformance.event("alice", "/p/a.html", title: "Bud\u{0}get")
            #expect(try await store.record([event]) == [.recorded])
            let log = try await store.accessLog(AccessLogQuery(section: try SectionPath("/p"), limit: 10))
            #expect(log.entries.first?.title == "Bud\u{FFFD}get")
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
            #expect(versions == "\(PostgresSchema.version)\n")
        }
    }

    @Test("A database with a newer schema is refused by sql/db.sql")
    func newerSchemaRefused() async throws {
        let (port, database) = try await Self.database()
        try PostgresServer.psql(
            port: port,
            database: database,
            ["-c", "INSERT INTO clicktracker_schema (version) VALUES (\(PostgresSchema.version + 1))"]
        )
        #expect(throws: PostgresServer.Failure.self) {
            try PostgresServer.psql(port: port, database: database, ["-f", Self.schema])
        }
    }

    static let snapshotQuery = """
        SELECT (SELECT string_agg(key || path || coalesce(title, ''), ',' ORDER BY key) FROM document),
               (SELECT string_agg(render_id || member, ',' ORDER BY render_id) FROM view),
               (SELECT string_agg(member || url || count, ',' ORDER BY member, url) FROM click),
               (SELECT string_agg(path || words_per_minute, ',' ORDER BY path) FROM section),
               (SELECT string_agg(member || views || active_ms, ',' ORDER BY member) FROM reading),
               (SELECT count(*) FROM pg_proc WHERE proname = 'clicktracker_record')
        """
}

@Suite("PostgreSQL setup step")
struct PostgresSchemaTests {
    static func withConnection(_ body: (PostgresConnection, Int, String) async throws -> Void) async throws {
        let (port, database) = try await PostgresServer.shared.createDatabase()
        let logger = Logger(label: "test")
        let configuration = try PostgresStoreTests.dsn(port: port, database: database).connectionConfiguration()
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            try await body(connection, port, database)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    @Test("A version 1 database is upgraded in place: its reads are kept, summarised per reader, and take reports")
    func upgradeFromVersion1() async throws {
        try await Self.withConnection { connection, port, database in
            let logger = Logger(label: "test")
            let version1 = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/db-v1.sql").path
            try PostgresServer.psql(port: port, database: database, ["-f", version1])
            try PostgresServer.psql(
                port: port,
                database: database,
                [
                    "-c",
                    """
                    SELECT clicktracker_record(ARRAY['alice', 'alice', 'bob'], ARRAY['/p/a', '/p/a', '/p/a'], ARRAY['/p/a', '/p/a', '/p/a'],
                        ARRAY['A', '', ''], ARRAY['/p/a', '/p/a', '/p/a'], ARRAY['r1', 'r2', 'r3'],
                        ARRAY[now() - interval '1 hour', now() - interval '50 minutes', now() - interval '40 minutes'],
                        ARRAY[now() - interval '59 minutes', now() - interval '49 minutes', now() - interval '39 minutes'])
                    """,
                ]
            )
            #expect(try await PostgresSchema.initialise(connection, logger: logger) == .upgraded(from: 1))
            #expect(try await PostgresSchema.installedVersion(connection, logger: logger) == PostgresSchema.version)

            let store = PostgresStore(configuration: try PostgresStoreTests.dsn(port: port, database: database).clientConfiguration)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await store.run() }
                let readers = try await store.readers(ReadersQuery(section: try SectionPath("/p"))).readers
                #expect(readers.map(\.member) == ["alice", "bob"])
                #expect(readers.map(\.views) == [2, 1])
                #expect(readers[0].versions.map(\.activeMilliseconds) == [0])
                #expect(readers[0].document.title == "A")
                let old = ViewEvent(
                    member: "bob",
                    document: DocumentReference(path: "/p/a"),
                    url: "/p/a",
                    renderID: "r3",
                    issuedAt: Date().addingTimeInterval(-2400),
                    viewedAt: Date(),
                    attention: Attention(sequence: 1, activeMilliseconds: 5_000, scrollPercent: 100, reachedEnd: true, automated: false)
                )
                var report = old
                report.kind = .report
                #expect(try await store.record([report]) == [.recorded])
                #expect(try await store.readers(ReadersQuery(section: try SectionPath("/p"))).readers[1].versions[0].activeMilliseconds == 5_000)
                #expect(try await store.statistics().views == 3)
                group.cancelAll()
            }
        }
    }

    @Test("A version 5 database is upgraded: readings that met their reading time are dated, requests name the documents under them")
    func upgradeFromVersion5() async throws {
        try await Self.withConnection { connection, port, database in
            let logger = Logger(label: "test")
            let version5 = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/db-v5.sql").path
            try PostgresServer.psql(port: port, database: database, ["-f", version5])
            // /p asks for 20 s; alice spent 25 s on /p/a, bob 1 s; carol reached the end of /p/b after 6 s (the standard asks 30).
            try PostgresServer.psql(
                port: port,
                database: database,
                [
                    "-c",
                    """
                    INSERT INTO section (path, maximum_seconds) VALUES ('/p', 20);
                    INSERT INTO document (id, key, path, seen_at) VALUES (1, '/p/a', '/p/a', now()), (2, '/p/b', '/p/b', now()), (3, '/q/c', '/q/c', now());
                    INSERT INTO reading (member, document_id, views, first_view, last_view, active_ms, reached_end, credited_at) VALUES
                        ('alice', 1, 1, '2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z', 25000, false, '2026-11-01T10:00:30Z'),
                        ('bob', 1, 1, '2026-11-01T11:00:00Z', '2026-11-01T11:00:00Z', 1000, false, '2026-11-01T11:00:01Z'),
                        ('carol', 3, 1, '2026-11-01T12:00:00Z', '2026-11-01T12:00:00Z', 6000, true, '2026-11-01T12:00:06Z');
                    INSERT INTO reading_request (id, title, path, deadline, time_zone, created_by)
                    VALUES (1, 'Board', '/p', '2026-12-03T10:00:00Z', 'UTC', 'chair');
                    """,
                ]
            )
            let outcome = try await PostgresSchema.initialise(connection, logger: logger)
            #expect(outcome == .upgraded(from: 5))
            #expect(outcome.description.contains("readings that met their reading time were dated"))

            let store = PostgresStore(configuration: try PostgresStoreTests.dsn(port: port, database: database).clientConfiguration)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await store.run() }
                #expect(try await store.readingRequest(id: 1)?.documents == ["/p/a", "/p/b"])
                let readings = try await store.requestReadings(documents: ["/p/a", "/q/c"], members: ["alice", "bob", "carol"])
                #expect(readings[0].readers.map { $0.versions.first?.readAt } == [Date(timeIntervalSince1970: 1_793_527_230), nil])
                #expect(readings[1].readers.first?.versions.first?.readAt == nil)
                group.cancelAll()
            }
        }
    }

    @Test("The binary carries sql/db.sql as it is in the repository")
    func embedded() throws {
        #expect(PostgresSchema.sql == (try String(contentsOfFile: PostgresStoreTests.schema, encoding: .utf8)))
        #expect(SQLScript.statements(PostgresSchema.sql).count > 10)
    }

    @Test("Statements split at semicolons outside quotes, dollar quotes and comments")
    func splitting() {
        let script = "SELECT 'a;b'; -- c;d\nDO $x$ BEGIN PERFORM 1; END $x$;\nSELECT \"e;f\" FROM t;"
        #expect(SQLScript.statements(script) == ["SELECT 'a;b'", "DO $x$ BEGIN PERFORM 1; END $x$", "SELECT \"e;f\" FROM t"])
    }

    @Test("Setup creates the schema on an empty database, then finds it current; a newer schema is refused")
    func initialise() async throws {
        try await Self.withConnection { connection, port, database in
            let logger = Logger(label: "test")
            #expect(try await PostgresSchema.installedVersion(connection, logger: logger) == nil)
            #expect(try await PostgresSchema.initialise(connection, logger: logger) == .created)
            #expect(try await PostgresSchema.installedVersion(connection, logger: logger) == PostgresSchema.version)
            #expect(try await PostgresSchema.initialise(connection, logger: logger) == .current)
            try PostgresServer.psql(
                port: port,
                database: database,
                ["-c", "INSERT INTO clicktracker_schema (version) VALUES (\(PostgresSchema.version + 1))"]
            )
            await #expect(throws: PostgresSchema.SetupError.self) { try await PostgresSchema.initialise(connection, logger: logger) }
        }
    }

    @Test("A database of the original slc.clicktracker is migrated: its access log is kept, in UTC, and new reads add to it")
    func migratesSeed() async throws {
        let (port, database) = try await PostgresServer.shared.createDatabase()
        try PostgresServer.psql(port: port, database: database, ["-c", "ALTER DATABASE \(database) SET TimeZone = 'Europe/Berlin'"])
        try PostgresServer.psql(port: port, database: database, ["-c", SeedDatabase.sql])
        let logger = Logger(label: "test")
        let dsn = try PostgresStoreTests.dsn(port: port, database: database)
        let before = try await dsn.withConnection(timeout: .seconds(120), logger: logger) { try await DatabaseStatus.read($0, logger: logger) }
        #expect(before.hasSeedSchema && before.schemaVersion == nil)
        let outcome = try await dsn.withConnection(timeout: .seconds(120), logger: logger) { try await PostgresSchema.initialise($0, logger: logger) }
        #expect(outcome == .migratedFromSeed)
        let again = try await dsn.withConnection(timeout: .seconds(120), logger: logger) { try await PostgresSchema.initialise($0, logger: logger) }
        #expect(again == .current)
        #expect(
            try PostgresServer.psql(port: port, database: database, ["-A", "-t", "-c", "SELECT count(*) FROM pg_proc WHERE proname = 'logclick'"])
                == "0\n"
        )

        let store = PostgresStore(configuration: dsn.clientConfiguration)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await store.run() }
            let log = try await store.accessLog(AccessLogQuery(section: try SectionPath("/papers"), limit: 10))
            #expect(log.entries.map(\.member) == ["alice", "alice", "bob"])
            #expect(log.entries.map(\.count) == [3, 2, 1])
            let budget = try #require(log.entries.first { $0.url == "/papers/budget" })
            // 09:30 in Berlin (UTC+1 in November) is 08:30 UTC; the seed kept no first access.
            #expect(budget.lastAccess == Date(timeIntervalSince1970: 1_795_163_400))
            #expect(budget.firstAccess == budget.lastAccess)

            let read = StorageConformance.event("alice", "/papers/budget", at: 0)
            #expect(try await store.record([read]) == [.recorded])
            let after = try await store.accessLog(AccessLogQuery(section: try SectionPath("/papers/budget"), limit: 10))
            #expect(after.entries.first { $0.member == "alice" }?.count == 4)
            #expect(try await store.statistics().documents == 2)
            group.cancelAll()
        }
    }
}

extension PostgresStoreTests {
    @Test("A migrated slc.clicktracker database has exactly the schema of a fresh one, and loading sql/db.sql again changes neither")
    func migratedSeedHasFreshSchema() async throws {
        let logger = Logger(label: "test")
        let fresh = try await PostgresServer.shared.createDatabase()
        let migrated = try await PostgresServer.shared.createDatabase()
        try PostgresServer.psql(port: migrated.port, database: migrated.database, ["-c", SeedDatabase.sql])
        let initialise: (Int, String) async throws -> PostgresSchema.Outcome = { port, database in
            try await Self.dsn(port: port, database: database).withConnection(timeout: .seconds(120), logger: logger) {
                try await PostgresSchema.initialise($0, logger: logger)
            }
        }
        #expect(try await initialise(fresh.port, fresh.database) == .created)
        #expect(try await initialise(migrated.port, migrated.database) == .migratedFromSeed)
        let dumpSchema = { (port: Int, database: String) in SchemaDump.normalised(try PostgresServer.pgDump(port: port, database: database)) }

        let expected = try dumpSchema(fresh.port, fresh.database)
        #expect(expected.contains("CREATE INDEX document_path ON public.document USING btree (path);"))
        let actual = try dumpSchema(migrated.port, migrated.database)
        #expect(actual == expected, "the migrated schema differs from a fresh one:\n\(SchemaDump.difference(from: expected, to: actual))")

        // Loaded again by psql, as an operator would: nothing changes, and the seed's clicks stay.
        for (port, database) in [fresh, migrated] {
            try PostgresServer.psql(port: port, database: database, ["-f", Self.schema])
            let again = try dumpSchema(port, database)
            #expect(again == expected, "loading sql/db.sql again changed \(database):\n\(SchemaDump.difference(from: expected, to: again))")
        }
        #expect(try PostgresServer.psql(port: migrated.port, database: migrated.database, ["-A", "-t", "-c", "SELECT count(*) FROM click"]) == "3\n")
    }
}

extension PostgresStoreTests {
    @Test("A refusal carries PostgreSQL's own message, SQLSTATE and detail, not a generic description")
    func refusalMessage() async throws {
        try await Self.withStores { store, _, port, database in
            try PostgresServer.refuseViews(of: "bob", message: "bob may not be recorded", port: port, database: database)
            do {
                try await store.record([StorageConformance.event("bob", "/p/a.html")])
                Issue.record("the trigger did not refuse the view")
            } catch {
                #expect(
                    "\(error)" == "PostgreSQL said: bob may not be recorded (SQLSTATE P0001). a rule of this test Hint: ask the operator",
                    "\(error)"
                )
                #expect(!(error is StorageUnavailable))
            }
            #expect(try await store.record([StorageConformance.event("alice", "/p/a.html")]) == [.recorded])
        }
    }
}
