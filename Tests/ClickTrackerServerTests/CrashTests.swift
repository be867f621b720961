import ClickTrackerTestSupport
import Foundation
import SQLiteNIO
import Testing

@testable import ClickTracker

/// `clicktracker serve` as a separate process, killed with SIGKILL in the middle of a burst.
@Suite("Crash safety")
struct CrashTests {
    /// The `clicktracker` binary built beside the test bundle.
    static var binary: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("clicktracker").path
    }

    actor Acknowledged {
        var renderIDs: Set<String> = []
        func add(_ id: String) { renderIDs.insert(id) }
        var count: Int { renderIDs.count }
    }

    /// The render id inside a token's claims (`v2.` and the claims' bytes, then a 16-byte MAC).
    static func renderID(of token: String) throws -> String {
        let payload = try #require(Base64URL.decode(token.dropFirst(3)))
        return try #require(ViewTokenBytes.decode(Array(payload).dropLast(16))).renderID
    }

    @Test(
        "Every beacon answered 204 before the server is killed (SIGKILL) or stopped (SIGTERM) is in the database afterwards",
        arguments: [SIGKILL, SIGTERM]
    )
    func stopLosesNothingAcknowledged(signal: Int32) async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        let configuration = """
            {
              "site": "site", "users": "users.json", "database": "clicktracker.sqlite",
              "key": { "file": "clicktracker.key" }, "sections": { "initial": ["/papers"] }
            }
            """
        let configPath = try fixture.directory.write("clicktracker.json", configuration)
        let (process, serverPort) = try await startServerProcess(config: configPath, output: fixture.directory.file("server.out"))
        defer { if process.isRunning { kill(process.pid, SIGKILL) } }

        let reader = HTTPSession(port: serverPort)
        try await reader.signIn("alice")
        var tokens: [String] = []
        for _ in 0..<600 {
            tokens.append(try #require(viewToken(in: try await reader.get("/papers/budget.html").body)))
        }

        let acknowledged = Acknowledged()
        let queue = tokens
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for token in stride(from: worker, to: queue.count, by: 8).map({ queue[$0] }) {
                        guard let reply = try? await reader.post("/_clicktracker/beacon", form: [("event", "view"), ("token", token)]) else {
                            return
                        }
                        if reply.status == 204 { await acknowledged.add(try Self.renderID(of: token)) }
                    }
                }
            }
            group.addTask {
                _ = try await eventually(seconds: 30) { await acknowledged.count >= 150 }
                kill(process.pid, signal)
            }
            try await group.waitForAll()
        }
        await reader.close()
        _ = try await eventually(seconds: 10) { !process.isRunning }
        if signal == SIGKILL {
            #expect(process.ending == .signalled(SIGKILL))
        } else {
            #expect(process.ending == .exited(0), "a graceful stop exits cleanly")
        }

        let acked = await acknowledged.renderIDs
        #expect(acked.count >= 150)
        #expect(acked.count < tokens.count, "the kill came after the burst; the test proves nothing")

        let database = try await SQLiteConnection.open(storage: .file(path: fixture.configuration.databasePath))
        let stored = Set(try await database.query("SELECT render_id FROM view").compactMap { $0.column("render_id")?.string })
        try await database.close()
        let lost = acked.subtracting(stored)
        #expect(lost.isEmpty, "\(lost.count) acknowledged beacons are missing")
    }
}
