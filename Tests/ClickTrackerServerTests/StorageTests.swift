import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTrackerServer

/// The control panel's Storage page against a real PostgreSQL server.
@Suite("Storage page")
struct StorageTests {
    /// Reads pages as alice and sends their beacons; returns how many were accepted.
    static func read(_ count: Int, port: Int) async throws -> Int {
        let alice = HTTPSession(port: port)
        defer { Task { await alice.close() } }
        try await alice.signIn("alice")
        var accepted = 0
        for _ in 0..<count {
            let page = try await alice.get("/papers/budget.html")
            let token = try #require(viewToken(in: page.body))
            if try await alice.post("/_clicktracker/beacon", form: [("event", "view"), ("token", token)]).status == 204 { accepted += 1 }
        }
        return accepted
    }

    /// The tested connection's id in a Storage page's forms.
    static func candidate(in html: String) throws -> String {
        let parts = html.components(separatedBy: "name=\"candidate\" value=\"")
        guard parts.count > 1 else { throw FixtureError("no tested connection in the page") }
        return String(parts[1].prefix { $0 != "\"" })
    }

    static func psql(_ port: Int, _ database: String, _ query: String) throws -> String {
        try PostgresServer.psql(port: port, database: database, ["-A", "-t", "-c", query]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("Test, initialise and switch a running server to PostgreSQL with the SQLite reads copied across; switch back")
    func switchToPostgres() async throws {
        var setup = try await ServerFixture()
        let config = try setup.directory.write("clicktracker.json", #"{ "site": "site", "cookies": { "secure": false } }"#)
        setup.configuration.configFile = config
        let fixture = setup
        defer { fixture.remove() }
        let (dbPort, database) = try await PostgresServer.shared.createDatabase()
        let dsn = "host=127.0.0.1 port=\(dbPort) user=postgres password=hunter2 dbname=\(database) sslmode=disable"
        try await fixture.withServer { port in
            #expect(try await Self.read(30, port: port) == 30)
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            let page = try await admin.get("/_clicktracker/storage")
            #expect(page.status == 200)
            #expect(page.body.contains("SQLite file"))
            #expect(page.body.contains("It holds 30 views of 1 document ("))
            let csrf = try admin.csrfToken(in: page.body)
            #expect(
                try await admin.post("/_clicktracker/tracking", form: [("csrf", csrf), ("action", "ignore"), ("path", "/papers/search")]).status
                    == 302
            )

            let forged = try await admin.post("/_clicktracker/storage", form: [("csrf", "bogus"), ("action", "test"), ("dsn", dsn)])
            #expect(forged.status == 403)
            let early = try await admin.post("/_clicktracker/storage", form: [("csrf", csrf), ("action", "switch")])
            #expect(early.status == 409)
            #expect(early.body.contains("Test a connection first."))

            let tested = try await admin.post("/_clicktracker/storage", form: [("csrf", csrf), ("action", "test"), ("dsn", dsn)])
            #expect(tested.status == 200)
            #expect(tested.body.contains("There is no ClickTracker schema yet: Initialise creates it."))
            #expect(tested.body.contains("password=*****"))
            #expect(!tested.body.contains("hunter2"))

            let testedID = try Self.candidate(in: tested.body)
            // Switching before the schema exists is refused; the server stays on SQLite.
            let refused = try await admin.post(
                "/_clicktracker/storage",
                form: [("csrf", csrf), ("action", "switch"), ("candidate", testedID), ("copy", "yes")]
            )
            #expect(refused.status == 409)
            #expect(refused.body.contains("found no ClickTracker schema; initialise it first"))
            #expect(try await Self.read(1, port: port) == 1)

            let stale = try await admin.post("/_clicktracker/storage", form: [("csrf", csrf), ("action", "init"), ("candidate", "old")])
            #expect(stale.status == 409)
            #expect(stale.body.contains("Another connection has been tested since this page was shown"))
            let initialised = try await admin.post("/_clicktracker/storage", form: [("csrf", csrf), ("action", "init"), ("candidate", testedID)])
            #expect(initialised.body.contains("Done: created the ClickTracker schema (version 10)."))
            // One notice, the Storage page's own (the layout's "done" sentence is another key).
            #expect(!initialised.body.contains("[\"") && !initialised.body.contains("id=\"done\""))
            let switched = try await admin.post(
                "/_clicktracker/storage",
                form: [("csrf", csrf), ("action", "switch"), ("candidate", testedID), ("copy", "yes")]
            )
            #expect(switched.status == 200)
            #expect(switched.body.contains("The server now stores reads in PostgreSQL"))
            #expect(switched.body.contains("Saved in \(config)."))
            #expect(!switched.body.contains("hunter2"))

            #expect(try await eventually(seconds: 30) { try await admin.get("/_clicktracker/storage").body.contains("Copy finished") })
            let report = try await admin.get("/_clicktracker/storage").body
            #expect(report.contains("the database holds 31 of the 31 views in the SQLite file."))
            #expect(!report.contains("Some are missing"))
            #expect(try Self.psql(dbPort, database, "SELECT count(*), (SELECT sum(count) FROM click) FROM view") == "31|31")
            #expect(try Self.psql(dbPort, database, "SELECT string_agg(path, ',') FROM section") == "/papers")
            #expect(try Self.psql(dbPort, database, "SELECT string_agg(path, ',') FROM ignored_path") == "/papers/search")

            // New reads go to PostgreSQL; the access log shows old and new together.
            #expect(try await Self.read(2, port: port) == 2)
            #expect(try Self.psql(dbPort, database, "SELECT count(*) FROM view") == "33")
            #expect(try await admin.get("/_clicktracker/tracking?path=/papers").body.contains("<td class=\"count\">33</td>"))
            #expect(try await fixture.accessLog("/papers").first?.count == 31)

            // The choice is saved for the next start, other settings kept.
            let saved = try await ServerConfiguration.load(file: config)
            #expect(saved.postgresDSN == dsn)
            #expect(saved.siteDirectory == fixture.directory.file("site"))
            #expect(try FileManager.default.attributesOfItem(atPath: config)[.posixPermissions] as? Int == 0o600)

            // Copying again skips what is there.
            let again = try await admin.post("/_clicktracker/storage", form: [("csrf", csrf), ("action", "copy")])
            #expect(again.status == 200)
            #expect(try await eventually(seconds: 30) { try await admin.get("/_clicktracker/storage").body.contains("Copy finished") })
            #expect(try Self.psql(dbPort, database, "SELECT count(*) FROM view") == "33")

            let back = try await admin.post("/_clicktracker/storage", form: [("csrf", csrf), ("action", "sqlite")])
            #expect(back.body.contains("The server now stores reads in SQLite file"))
            #expect(try await ServerConfiguration.load(file: config).postgresDSN == nil)
            #expect(try await Self.read(1, port: port) == 1)
            #expect(try await fixture.accessLog("/papers").first?.count == 32)
            await admin.close()
        }
    }

    @Test("Bad connection strings are reported clearly and the current store keeps working")
    func badConnections() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await PostgresServer.shared.createPasswordRole()
        let (dbPort, database) = try await PostgresServer.shared.createDatabase()
        let closedPort = try freePort()
        try await fixture.withServer { port in
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            let csrf = try admin.csrfToken(in: try await admin.get("/_clicktracker/storage").body)
            let cases: [(dsn: String, status: Int, message: String)] = [
                ("port=abc", 400, "The connection string is not valid"),
                ("", 400, "Enter a connection string"),
                ("host=no-such-host.invalid dbname=tracking", 409, "cannot find the host no-such-host.invalid"),
                ("host=127.0.0.1 port=\(dbPort) user=postgres dbname=nope sslmode=disable", 409, "database &quot;nope&quot; does not exist"),
                (
                    "postgres://\(PostgresServer.passwordRole):wrong-password@127.0.0.1:\(dbPort)/\(database)?sslmode=disable", 409,
                    "password authentication failed for user &quot;\(PostgresServer.passwordRole)&quot;"
                ),
                (
                    "host=127.0.0.1 port=\(closedPort) dbname=tracking sslmode=disable", 409,
                    "nothing is listening on 127.0.0.1:\(closedPort); is PostgreSQL running?"
                ),
            ]
            for (dsn, status, message) in cases {
                let reply = try await admin.post("/_clicktracker/storage", form: [("csrf", csrf), ("action", "test"), ("dsn", dsn)])
                #expect(reply.status == status, "\(dsn)")
                #expect(reply.body.contains(message), "\(dsn): \(reply.body)")
                #expect(!reply.body.contains("wrong-password"))
            }
            let right = "postgres://\(PostgresServer.passwordRole):\(PostgresServer.password)@127.0.0.1:\(dbPort)/\(database)?sslmode=disable"
            let good = try await admin.post("/_clicktracker/storage", form: [("csrf", csrf), ("action", "test"), ("dsn", right)])
            #expect(good.body.contains("connected as \(PostgresServer.passwordRole)"))
            #expect(!good.body.contains(PostgresServer.password))
            #expect(try await Self.read(2, port: port) == 2)
            #expect(try await fixture.accessLog("/papers").first?.count == 2)
            let member = HTTPSession(port: port)
            try await member.signIn("alice")
            #expect(try await member.get("/_clicktracker/storage").status == 403)
            await member.close()
            await admin.close()
        }
    }
}
