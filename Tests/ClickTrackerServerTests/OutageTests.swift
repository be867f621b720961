import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

/// PostgreSQL goes away in the middle of a stream of beacons and comes back.
@Suite("Database outage")
struct OutageTests {
    @Test("PostgreSQL stopped mid-stream and restarted: beacons keep being acknowledged and every one is recorded afterwards")
    func stopAndRestart() async throws {
        let postgres = PostgresServer()
        let (dbPort, database) = try await postgres.createDatabase()
        try PostgresServer.psql(port: dbPort, database: database, ["-f", PostgresStoreTestsSchema.path])
        var setup = try await ServerFixture()
        setup.configuration.postgresDSN = "host=127.0.0.1 port=\(dbPort) user=postgres dbname=\(database) sslmode=disable"
        let fixture = setup
        defer { fixture.remove() }
        let count: @Sendable (String) throws -> String = { query in
            try PostgresServer.psql(port: dbPort, database: database, ["-A", "-t", "-c", query]).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        try await fixture.withServer { port in
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            let acknowledged = Counter()
            let stream = Task {
                // A steady stream of reads, eight at a time, until stopped between rounds.
                while await !acknowledged.isStopped {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<8 {
                            group.addTask {
                                let page = try await alice.get("/papers/budget.html")
                                guard let token = viewToken(in: page.body) else { throw FixtureError("no token in a tracked page") }
                                let reply = try await alice.post("/_clicktracker/beacon", form: [("event", "view"), ("token", token)])
                                if reply.status == 204 { await acknowledged.add() } else { await acknowledged.refuse(reply.status) }
                            }
                        }
                        try await group.waitForAll()
                    }
                }
            }
            #expect(try await eventually(seconds: 60) { await acknowledged.value >= 100 })

            try await postgres.stop()
            let atStop = await acknowledged.value
            #expect(try await eventually(seconds: 60) { await acknowledged.value >= atStop + 200 })
            let during = try await admin.get("/_clicktracker/tracking?path=/papers")
            #expect(during.status == 503)
            #expect(during.body.contains("The database is unreachable"))
            let storage = try await admin.get("/_clicktracker/storage")
            #expect(storage.body.contains("reads are waiting in the local spool"))

            try await postgres.restart()
            let atRestart = await acknowledged.value
            #expect(try await eventually(seconds: 60) { await acknowledged.value >= atRestart + 100 })
            await acknowledged.stop()
            try await stream.value
            let total = await acknowledged.value
            #expect(await acknowledged.refused.isEmpty)
            #expect(try await eventually(seconds: 90) { try count("SELECT count(*) FROM view") == String(total) })
            let views = try count("SELECT count(*) FROM view")
            let spool = try await admin.get("/_clicktracker/storage").body
            #expect(views == String(total), "views \(views), acknowledged \(total), storage page: \(spool)")
            #expect(try count("SELECT sum(count) FROM click") == String(total))
            #expect(try await admin.get("/_clicktracker/storage").body.contains("The local spool"))
            #expect(try await admin.get("/_clicktracker/tracking?path=/papers").body.contains("<td class=\"count\">\(total)</td>"))
            await alice.close()
            await admin.close()
        }
    }
}

extension OutageTests {
    @Test("An instance started while PostgreSQL is down accepts beacons into its spool and writes them once the database answers")
    func startDuringOutage() async throws {
        let postgres = PostgresServer()
        let (dbPort, database) = try await postgres.createDatabase()
        try PostgresServer.psql(port: dbPort, database: database, ["-f", PostgresStoreTestsSchema.path])
        let secret = Data((0..<32).map { UInt8($0 * 3) }).base64EncodedString()
        let dsn = "host=127.0.0.1 port=\(dbPort) user=postgres dbname=\(database) sslmode=disable"
        var firstSetup = try await ServerFixture()
        firstSetup.configuration.postgresDSN = dsn
        firstSetup.configuration.keySecret = secret
        let first = firstSetup
        defer { first.remove() }
        // Pages rendered by one instance while the database is up.
        let tokens = LockedTokens()
        try await first.withServer { port in
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            for _ in 0..<20 {
                let page = try await alice.get("/papers/budget.html")
                await tokens.add(try #require(viewToken(in: page.body)))
            }
            await alice.close()
        }
        try await postgres.stop()

        var secondSetup = try await ServerFixture()
        secondSetup.configuration.postgresDSN = dsn
        secondSetup.configuration.keySecret = secret
        let second = secondSetup
        defer { second.remove() }
        let count: @Sendable () throws -> String = {
            try PostgresServer.psql(port: dbPort, database: database, ["-A", "-t", "-c", "SELECT count(*) FROM view"])
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try await second.withServer { port in
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            for token in await tokens.values {
                let reply = try await alice.post("/_clicktracker/beacon", form: [("event", "view"), ("token", token)])
                #expect(reply.status == 204)
            }
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            #expect(try await admin.get("/_clicktracker/storage").body.contains("20 reads are waiting in the local spool"))
            try await postgres.restart()
            // psql fails while the restarted server is still starting up: keep asking.
            #expect(try await eventually(seconds: 90) { (try? count()) == "20" })
            #expect(try await admin.get("/_clicktracker/storage").body.contains("The local spool"))
            await alice.close()
            await admin.close()
        }
    }
}

actor LockedTokens {
    private(set) var values: [String] = []
    func add(_ token: String) { values.append(token) }
}

/// Beacons acknowledged (and any refused) by the server.
actor Counter {
    private(set) var value = 0
    private(set) var refused: [Int] = []
    private(set) var isStopped = false

    func stop() { isStopped = true }
    func add() { value += 1 }
    func refuse(_ status: Int) { refused.append(status) }
}

extension OutageTests {
    @Test(
        "A spooled read the database refuses twice is set aside with its message, shown on the Storage page, and written by Retry once the cause is fixed"
    )
    func setAsideAndRetry() async throws {
        let postgres = PostgresServer()
        let (dbPort, database) = try await postgres.createDatabase()
        try PostgresServer.psql(port: dbPort, database: database, ["-f", PostgresStoreTestsSchema.path])
        // A rule the database applies: bob's views are refused.
        try PostgresServer.refuseViews(of: "bob", message: "views of bob are refused", port: dbPort, database: database)
        var setup = try await ServerFixture()
        setup.configuration.postgresDSN = "host=127.0.0.1 port=\(dbPort) user=postgres dbname=\(database) sslmode=disable"
        let fixture = setup
        defer { fixture.remove() }
        let query: @Sendable (String) throws -> String = { sql in
            try PostgresServer.psql(port: dbPort, database: database, ["-A", "-t", "-c", sql]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try await fixture.withServer { port in
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            let bob = HTTPSession(port: port)
            try await bob.signIn("bob")
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            // Pages rendered while the database is up; their beacons arrive while it is down.
            let aliceToken = try #require(viewToken(in: try await alice.get("/papers/budget.html").body))
            let bobToken = try #require(viewToken(in: try await bob.get("/papers/budget.html").body))
            try await postgres.stop()
            #expect(try await alice.post("/_clicktracker/beacon", form: [("event", "view"), ("token", aliceToken)]).status == 204)
            #expect(try await bob.post("/_clicktracker/beacon", form: [("event", "view"), ("token", bobToken)]).status == 204)
            try await postgres.restart()

            #expect(try await eventually(seconds: 90) { (try? query("SELECT count(*) FROM view WHERE member = 'alice'")) == "1" })
            #expect(try await eventually(seconds: 60) { try await admin.get("/_clicktracker/storage").body.contains("id=\"set-aside\"") })
            let storage = try await admin.get("/_clicktracker/storage").body
            #expect(storage.contains("1 read acknowledged while the database was unreachable was refused by the database twice"))
            #expect(storage.contains("PostgreSQL said: views of bob are refused (SQLSTATE P0001). a rule of this test"), "\(storage)")
            #expect(try query("SELECT count(*) FROM view WHERE member = 'bob'") == "0")

            // Retry while the cause remains: set aside again, nothing lost.
            let csrf = try admin.csrfToken(in: storage)
            let again = try await admin.post("/_clicktracker/storage", form: [("csrf", csrf), ("action", "retry")])
            #expect(again.body.contains("1 set-aside read was put back into the local spool"))
            #expect(try await eventually(seconds: 60) { try await admin.get("/_clicktracker/storage").body.contains("id=\"set-aside\"") })

            // The cause fixed, Retry writes it.
            _ = try query("DROP TRIGGER refuse_views ON view")
            let retried = try await admin.post("/_clicktracker/storage", form: [("csrf", csrf), ("action", "retry")])
            #expect(retried.status == 200)
            #expect(try await eventually(seconds: 60) { (try? query("SELECT count(*) FROM view WHERE member = 'bob'")) == "1" })
            #expect(try await eventually(seconds: 30) { try await !admin.get("/_clicktracker/storage").body.contains("id=\"set-aside\"") })
            await alice.close()
            await bob.close()
            await admin.close()
        }
    }
}
