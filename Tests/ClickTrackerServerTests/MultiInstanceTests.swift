import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

/// Two `clicktracker serve` processes behind one PostgreSQL database, as behind a load balancer.
@Suite("Several instances on one PostgreSQL database")
struct MultiInstanceTests {
    @Test("Beacons to both instances, the same render sent to each, are all recorded exactly once")
    func twoInstances() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        let (dbPort, database) = try await PostgresServer.shared.createDatabase()
        try PostgresServer.psql(port: dbPort, database: database, ["-f", PostgresStoreTestsSchema.path])
        let secret = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let config = try fixture.directory.write(
            "clicktracker.json",
            """
            {
              "site": "site", "users": "users.json",
              "postgres": { "dsn": "host=127.0.0.1 port=\(dbPort) user=postgres dbname=\(database) sslmode=disable" },
              "key": { "secret": "\(secret)" }, "sections": { "initial": ["/papers"] }
            }
            """
        )
        // One configuration, as behind a load balancer; each instance its own local spool.
        let (first, firstPort) = try await startServerProcess(
            config: config,
            output: fixture.directory.file("first.out"),
            environment: ["CLICKTRACKER_SPOOL": fixture.directory.file("first.spool")]
        )
        defer { if first.isRunning { kill(first.pid, SIGKILL) } }
        let (second, secondPort) = try await startServerProcess(
            config: config,
            output: fixture.directory.file("second.out"),
            environment: ["CLICKTRACKER_SPOOL": fixture.directory.file("second.spool")]
        )
        defer { if second.isRunning { kill(second.pid, SIGKILL) } }

        let onFirst = HTTPSession(port: firstPort)
        let onSecond = HTTPSession(port: secondPort)
        try await onFirst.signIn("alice")
        try await onSecond.signIn("alice")
        var tokens: [String] = []
        for index in 0..<200 {
            let page = try await (index.isMultiple(of: 2) ? onFirst : onSecond).get("/papers/budget.html")
            tokens.append(try #require(viewToken(in: page.body)))
        }
        let all = tokens
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, token) in all.enumerated() {
                group.addTask {
                    // Every token goes to one instance; every tenth goes to both at once.
                    let targets = index.isMultiple(of: 10) ? [onFirst, onSecond] : [index.isMultiple(of: 2) ? onFirst : onSecond]
                    for target in targets {
                        let reply = try await target.post("/_clicktracker/beacon", form: [("event", "view"), ("token", token)])
                        #expect(reply.status == 204)
                    }
                }
            }
            try await group.waitForAll()
        }
        let counts = try PostgresServer.psql(
            port: dbPort,
            database: database,
            ["-A", "-t", "-c", "SELECT (SELECT count(*) FROM view), (SELECT sum(count) FROM click), (SELECT count(*) FROM click)"]
        )
        #expect(counts == "200|200|1\n")
        // Marks made on one instance are seen by the other at once.
        let admin = HTTPSession(port: secondPort)
        try await admin.signIn("chair")
        let report = try await admin.get("/_clicktracker/tracking?path=/papers").body
        #expect(report.contains("<td class=\"count\">200</td>"))
        await onFirst.close()
        await onSecond.close()
        await admin.close()
        kill(first.pid, SIGTERM)
        kill(second.pid, SIGTERM)
        _ = try await eventually(seconds: 15) { !first.isRunning && !second.isRunning }
    }

    @Test("A database without the schema is refused at start with the command that fixes it")
    func schemaMissing() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        let (dbPort, database) = try await PostgresServer.shared.createDatabase()
        let run = try await CommandLineTests.run(
            ["serve", "--site", fixture.directory.file("site"), "--users", fixture.configuration.usersFile, "--port", "0"],
            environment: [
                "CLICKTRACKER_POSTGRES_DSN": "host=127.0.0.1 port=\(dbPort) user=postgres password=hunter2 dbname=\(database) sslmode=disable"
            ]
        )
        #expect(run.status != 0)
        #expect(run.output.contains("found no ClickTracker schema; initialise it first (clicktracker db init"))
        #expect(!run.output.contains("hunter2"))
    }
}

/// Where `sql/db.sql` is in the checkout.
enum PostgresStoreTestsSchema {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sql/db.sql").path
}
