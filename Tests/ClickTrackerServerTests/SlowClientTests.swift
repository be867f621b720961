import ClickTracker
import ClickTrackerTestSupport
import Foundation
import SQLiteNIO
import Testing

@testable import ClickTrackerServer

/// Clients that are slow on purpose never shut readers out.
@Suite("Slow clients")
struct SlowClientTests {
    @Test(
        "Under an open-file limit of 1024, 1,100 clients sending their headers a byte a second do not keep a reader from a tracked page and its beacon"
    )
    func slowloris() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        let configuration = """
            {
              "site": "site", "users": "users.json", "database": "clicktracker.sqlite",
              "key": { "file": "clicktracker.key" }, "sections": { "initial": ["/papers"] },
              "limits": { "header_timeout": 2, "body_timeout": 5, "idle_timeout": 5 }
            }
            """
        let configPath = try fixture.directory.write("clicktracker.json", configuration)
        let output = fixture.directory.file("server.out")
        let (process, port) = try await startServerProcess(config: configPath, output: output, openFileLimit: 1024)
        defer { if process.isRunning { kill(process.pid, SIGKILL) } }

        let slow = SlowClients(port: port, count: 1100)
        slow.start()
        // The slow clients fill every place and take back each one the server frees.
        #expect(try await eventually(seconds: 60) { slow.bytesSent >= 1100 && slow.closedByServer >= 200 })

        let reader = HTTPSession(port: port)
        let signedIn = try await reader.signIn("alice")
        #expect(signedIn.status == 302)
        try await reader.view("/papers/budget.html")
        await reader.close()
        #expect(process.isRunning)
        await slow.stop()
        kill(process.pid, SIGTERM)
        _ = try await eventually(seconds: 30) { !process.isRunning }

        let database = try await SQLiteConnection.open(storage: .file(path: fixture.configuration.databasePath))
        let views = try await database.query("SELECT count(*) AS views FROM view WHERE member = 'alice'").first?.column("views")?.integer
        try await database.close()
        #expect(views == 1)
        let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(log.contains("At most 896 connections at once"), "\(log.suffix(2000))")
    }

    @Test("A connection that sends nothing, a head that never ends, and a small body that trickles are each closed")
    func deadlines() async throws {
        var setup = try await ServerFixture()
        setup.configuration.limits.headerTimeout = 1
        setup.configuration.limits.bodyTimeout = 1
        setup.configuration.limits.idleTimeout = 1
        let fixture = setup
        defer { fixture.remove() }
        try await fixture.withServer { port in
            // Each connection waits at most 30 s for the server to close it: that limit detects a hang.
            let idle = try await rawHTTPConnection(port: port, "", timeout: 30)
            #expect(idle.closed && idle.reply.isEmpty)
            let unfinishedHead = try await rawHTTPConnection(port: port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a", timeout: 30)
            #expect(unfinishedHead.closed && unfinishedHead.reply.isEmpty)
            let shortBody = try await rawHTTPConnection(
                port: port,
                "POST /_clicktracker/beacon HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nevent=view",
                timeout: 30
            )
            #expect(shortBody.closed && !shortBody.reply.hasPrefix("HTTP/1.1 2"))
            // A request that arrives in time is answered (here: sent to sign in), and the idle connection closed after it.
            let page = try await rawHTTPConnection(port: port, "GET /public/notice.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", timeout: 30)
            #expect(page.closed && page.reply.hasPrefix("HTTP/1.1 302 Found"), "\(page.reply.prefix(300))")
        }
    }

    @Test("The limits are read from the configuration and checked")
    func configuration() async throws {
        let directory = try TemporaryDirectory("limits")
        defer { directory.remove() }
        let file = try directory.write(
            "clicktracker.json",
            #"{ "limits": { "header_timeout": 3, "body_timeout": 4.5, "idle_timeout": 20, "connections": 50 } }"#
        )
        let configuration = try await ServerConfiguration.load(file: file)
        #expect(configuration.limits.headerTimeout == 3 && configuration.limits.bodyTimeout == 4.5)
        #expect(configuration.limits.idleTimeout == 20 && configuration.limits.connections(proxying: true) == 50)
        var bad = configuration
        bad.limits.headerTimeout = 0
        #expect(throws: ConfigurationError.self) { try bad.validate() }
        #expect(ConnectionLimits().connections(proxying: false) > 0)
    }
}
