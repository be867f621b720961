import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTrackerServer

/// Webhooks end to end: endpoints registered on the Webhooks page, messages received by a real
/// receiver on loopback that checks every signature with the `standardwebhooks` package.
@Suite("Webhooks")
struct WebhookTests {
    /// The helpers beside the tests.
    static let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Helpers").path

    /// A receiver on `port` that verifies with `secret` and writes what it got to `output`.
    static func startReceiver(port: Int, secret: String, output: String, log: String) throws -> ChildProcess {
        try ChildProcess("/usr/bin/env", ["python3", "\(helpers)/webhook_receiver.py", String(port), secret, output], output: log)
    }

    /// The messages a receiver wrote, one JSON object per line.
    static func received(_ output: String) -> [[String: Any]] {
        ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test(
        "Reads, a completed request and a passed deadline reach a receiver that was down at first, each signed and delivered once; the log shows them and sends one again"
    )
    func endToEnd() async throws {
        var configured = try await ServerFixture()
        configured.configuration.webhooks.retryBase = 0.5
        configured.configuration.requestCheckInterval = 0.5
        let fixture = configured
        defer { fixture.remove() }
        try await fixture.track("/papers", policy: ReadingPolicy(maximumSeconds: 1, minimumSeconds: 1))
        let receiverPort = try freePort()
        let output = fixture.directory.file("received.jsonl")
        try await fixture.withServer { port in
            let chair = HTTPSession(port: port)
            try await chair.signIn("chair")
            let page = try await chair.get("/_clicktracker/webhooks")
            #expect(page.status == 200 && page.body.contains("No endpoints yet"))
            let csrf = try chair.csrfToken(in: page.body)
            // Refused: no scheme, no event.
            let refused = try await chair.post(
                "/_clicktracker/webhooks",
                form: [("csrf", csrf), ("action", "create"), ("url", "portal.example.org/hook"), ("event-read.recorded", "yes")]
            )
            #expect(refused.status == 400 && refused.body.contains("must start with https://"))
            let noEvent = try await chair.post(
                "/_clicktracker/webhooks",
                form: [("csrf", csrf), ("action", "create"), ("url", "http://127.0.0.1:\(receiverPort)/hook")]
            )
            #expect(noEvent.status == 400 && noEvent.body.contains("choose at least one event"))
            let created = try await chair.post(
                "/_clicktracker/webhooks",
                form: [("csrf", csrf), ("action", "create"), ("url", "http://127.0.0.1:\(receiverPort)/hook")]
                    + WebhookEventType.allCases.map { ("event-\($0.rawValue)", "yes") }
            )
            let secret = try #require(created.body.firstMatch(of: /id="webhook-secret">(whsec_[A-Za-z0-9+\/=]+)</)?.1).description
            #expect(try await chair.get("/_clicktracker/webhooks").body.contains(secret) == false)

            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            let token = try await alice.view("/papers/budget.html")
            try await Task.sleep(for: .milliseconds(1500))
            let report = try await alice.post("/_clicktracker/beacon", form: EvidenceServerTests.report(token, "end", q: 1, a: 1400, s: 100, r: 1))
            #expect(report.status == 204)
            // A request expects just that read, by a deadline soon.
            let store = try await fixture.store()
            let deadline = Date().addingTimeInterval(3)
            let requestID = try await store.addReadingRequest(
                ReadingRequest(
                    title: "Board <meeting>",
                    path: try SectionPath("/papers"),
                    documents: ["/papers/budget.html"],
                    group: nil,
                    members: ["alice"],
                    deadline: deadline,
                    timeZone: "Europe/Berlin",
                    createdBy: "chair"
                )
            )
            try await store.close()

            // The receiver comes up only now: what failed meanwhile is retried.
            try await Task.sleep(for: .seconds(3))
            let log = try await chair.get("/_clicktracker/webhooks")
            #expect(log.body.contains("could not connect") || log.body.contains("will be tried again"))
            let receiver = try Self.startReceiver(port: receiverPort, secret: secret, output: output, log: fixture.directory.file("receiver.out"))
            defer { kill(receiver.pid, SIGKILL) }
            let types = ["read.recorded", "request.completed", "request.deadline_passed"]
            #expect(
                try await eventually(seconds: 60) {
                    let messages = Self.received(output)
                    return messages.filter { $0["type"] as? String == "read.recorded" }.count >= 2
                        && types.allSatisfy { type in messages.contains { $0["type"] as? String == type } }
                }
            )
            let messages = Self.received(output)
            #expect(messages.allSatisfy { $0["invalid"] == nil }, "a signature was refused: \(messages)")
            let ids = messages.compactMap { $0["id"] as? String }
            #expect(Set(ids).count == ids.count, "a message was delivered twice: \(ids)")
            let reads = messages.filter { $0["type"] as? String == "read.recorded" }.compactMap { $0["data"] as? [String: Any] }
            #expect(Set(reads.compactMap { $0["stage"] as? String }) == ["opened", "read"] && reads.count == 2)
            #expect(
                reads.allSatisfy {
                    $0["member"] as? String == "alice" && ($0["document"] as? [String: Any])?["path"] as? String == "/papers/budget.html"
                }
            )
            let passed = try #require(messages.first { $0["type"] as? String == "request.deadline_passed" }?["data"] as? [String: Any])
            #expect((passed["request"] as? [String: Any])?["title"] as? String == "Board <meeting>")
            let frozen = try #require((passed["readers"] as? [[String: Any]])?.first)
            #expect(frozen["member"] as? String == "alice" && frozen["stage"] as? String == "read" && frozen["documents_read"] as? Int == 1)
            let completed = try #require(messages.first { $0["type"] as? String == "request.completed" }?["data"] as? [String: Any])
            #expect(completed["by_deadline"] as? Bool == true && (completed["request"] as? [String: Any])?["id"] as? Int == Int(requestID))
            #expect(try await chair.get("/_clicktracker/requests/\(requestID)").body.contains("everyone had read everything on"))

            // The delivery log: every message delivered, the first ones after several attempts.
            let delivered = try await chair.get("/_clicktracker/webhooks")
            #expect(delivered.body.components(separatedBy: "delivery-state delivered").count - 1 == 4)
            #expect(delivered.body.contains("Board &lt;meeting&gt;") == false)  // payloads are not shown as HTML
            // "Send again" sends the same message (same webhook-id) once more.
            let store2 = try await fixture.store()
            let all = try await store2.webhookDeliveries(limit: 10, offset: 0).deliveries
            try await store2.close()
            let first = try #require(all.last)
            #expect(first.attempts > 1, "\(all.map { ($0.type, $0.attempts, $0.lastError ?? "") })")
            let again = try await chair.post(
                "/_clicktracker/webhooks",
                form: [("csrf", try chair.csrfToken(in: delivered.body)), ("action", "resend"), ("id", String(first.id))]
            )
            #expect(again.status == 302 || again.status == 200)
            #expect(try await eventually(seconds: 30) { Self.received(output).filter { $0["id"] as? String == first.messageID }.count == 2 })
            await alice.close()
            await chair.close()
        }
    }

    @Test("A message committed but not yet delivered when the server is killed (SIGKILL) is delivered after a restart")
    func killedBeforeDelivery() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        let configuration = """
            {
              "site": "site", "users": "users.json", "database": "clicktracker.sqlite",
              "key": { "file": "clicktracker.key" }, "sections": { "initial": ["/papers"] },
              "webhooks": { "retry_base": 0.5, "timeout": 2 }
            }
            """
        let configPath = try fixture.directory.write("clicktracker.json", configuration)
        let receiverPort = try freePort()
        let output = fixture.directory.file("received.jsonl")
        // The endpoint is registered as the page does, with the server's key.
        let key = try SecretKey.loadOrCreate(path: fixture.directory.file("clicktracker.key"))
        let (first, firstPort) = try await startServerProcess(config: configPath, output: fixture.directory.file("server-1.out"))
        defer { if first.isRunning { kill(first.pid, SIGKILL) } }
        let store = try await fixture.store()
        let (_, secret) = try await WebhooksController.register(
            url: "http://127.0.0.1:\(receiverPort)/hook",
            events: [.readRecorded],
            by: "chair",
            storage: store,
            key: key
        )
        let alice = HTTPSession(port: firstPort)
        try await alice.signIn("alice")
        try await alice.view("/papers/budget.html")
        await alice.close()
        // Committed, and tried (the receiver is not up): then killed.
        #expect(
            try await eventually(seconds: 30) {
                (try? await store.webhookDeliveries(limit: 10, offset: 0).deliveries.first?.attempts ?? 0) ?? 0 >= 1
            }
        )
        kill(first.pid, SIGKILL)
        _ = try await first.exitStatus()
        #expect(try await store.webhookDeliveries(limit: 10, offset: 0).deliveries.map(\.state) == [.pending])
        try await store.close()

        let receiver = try Self.startReceiver(port: receiverPort, secret: secret.text, output: output, log: fixture.directory.file("receiver.out"))
        defer { kill(receiver.pid, SIGKILL) }
        let (second, _) = try await startServerProcess(config: configPath, output: fixture.directory.file("server-2.out"))
        defer { kill(second.pid, SIGKILL) }
        #expect(try await eventually(seconds: 60) { !Self.received(output).isEmpty })
        let messages = Self.received(output)
        #expect(messages.count == 1 && messages.first?["invalid"] == nil && messages.first?["type"] as? String == "read.recorded")
    }
}
