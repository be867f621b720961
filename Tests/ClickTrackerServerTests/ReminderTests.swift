import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTrackerServer

/// Reminders through a real SMTP server on loopback (`aiosmtpd`), and through `msmtp` as the
/// `sendmail` command.
@Suite("Reminders")
struct ReminderTests {
    /// The mails an SMTP helper received, one JSON object per line.
    static func received(_ output: String) -> [[String: Any]] {
        WebhookTests.received(output)
    }

    @Test(
        "“Remind now” mails every reader who has not read everything, once, with what is still unread; readers who read all get nothing; one without an address is listed",
        arguments: ["smtp", "smtp with STARTTLS and sign-in", "sendmail"]
    )
    func remindNow(transport: String) async throws {
        let smtpPort = try freePort()
        let output = try TemporaryDirectory("smtp")
        defer { output.remove() }
        let mails = output.file("mails.jsonl")
        var arguments = ["python3", "\(WebhookTests.helpers)/smtp_server.py", String(smtpPort), mails]
        let encrypted = transport.contains("STARTTLS")
        if encrypted {
            // A certificate for 127.0.0.1, trusted through mail.smtp.ca_file.
            let openssl = try ChildProcess(
                "/usr/bin/openssl",
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", output.file("key.pem"), "-out", output.file("cert.pem"),
                ],
                output: output.file("openssl.out")
            )
            #expect(try await openssl.exitStatus() == 0)
            arguments += [output.file("cert.pem"), output.file("key.pem"), "board", "s3cret"]
        }
        let smtp = try ChildProcess("/usr/bin/env", arguments, output: output.file("smtp.out"))
        defer { kill(smtp.pid, SIGKILL) }
        #expect(
            try await eventually(seconds: 30) {
                ((try? String(contentsOfFile: output.file("smtp.out"), encoding: .utf8)) ?? "").contains("listening")
            }
        )

        var configured = try await ServerFixture(extraFiles: [
            "papers/minutes.html": ServerFixture.document(title: "Minutes", body: "<p>Minutes.</p>")
        ])
        configured.configuration.mailFrom = "Board office <board@example.org>"
        configured.configuration.mailSiteURL = "https://papers.example.org"
        if transport.hasPrefix("smtp") {
            configured.configuration.smtpHost = "127.0.0.1"
            configured.configuration.smtpPort = smtpPort
            if encrypted {
                configured.configuration.smtpUsername = "board"
                configured.configuration.smtpPassword = "s3cret"
                configured.configuration.smtpCAFile = output.file("cert.pem")
            }
        } else {
            configured.configuration.sendmailCommand = [
                "/usr/bin/msmtp", "--host=127.0.0.1", "--port=\(smtpPort)", "--from=board@example.org", "--auth=off", "--tls=off", "-t",
            ]
        }
        let fixture = configured
        defer { fixture.remove() }
        try await fixture.track("/papers", policy: ReadingPolicy(maximumSeconds: 1, minimumSeconds: 1))
        let store = try await fixture.store()
        try await store.setGroup(
            "board",
            members: [
                Person(member: "alice", displayName: "Alice Ärger", email: "alice@example.org"),
                Person(member: "bob", displayName: "Bob", email: "bob@example.org"),
                Person(member: "carol", displayName: "Carol"),
            ]
        )
        try await store.close()
        try await fixture.withServer { port in
            // Bob reads both papers; Alice opens one; Carol has no address.
            let bob = HTTPSession(port: port)
            try await bob.signIn("bob")
            let tokens = [try await bob.view("/papers/budget.html"), try await bob.view("/papers/minutes.html")]
            try await Task.sleep(for: .milliseconds(1500))
            for token in tokens {
                #expect(
                    try await bob.post("/_clicktracker/beacon", form: EvidenceServerTests.report(token, "end", q: 1, a: 1400, s: 100, r: 1)).status
                        == 204
                )
            }
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            try await alice.view("/papers/budget.html")

            let chair = HTTPSession(port: port)
            try await chair.signIn("chair")
            let list = try await chair.get("/_clicktracker/requests")
            let deadline = Date().addingTimeInterval(3 * 86_400)
            let day = deadline.formatted(.iso8601.year().month().day())
            let created = try await chair.post(
                "/_clicktracker/requests",
                form: [
                    ("csrf", try chair.csrfToken(in: list.body)), ("action", "create"), ("title", "Board, 3 December"),
                    ("path", "/papers/budget.html"),
                    ("documents", "/papers/minutes.html"), ("group", "board"), ("members", ""), ("date", day), ("time", "10:00"),
                    ("time-zone", "UTC"),
                ]
            )
            #expect(created.status == 302)
            let url = try #require(created.header("Location")).components(separatedBy: "?").first!
            let page = try await chair.get(url)
            #expect(page.body.contains("48 hours before the deadline") && page.body.contains("2 hours before the deadline"))
            #expect(page.body.contains("Cannot be reminded") && page.body.contains("Carol"))
            let id = try #require(url.split(separator: "/").last).description
            let nonce = try #require(page.body.firstMatch(of: /name="nonce" value="([0-9a-f]{32})"/)?.1).description
            let remind: [(String, String)] = [("csrf", try chair.csrfToken(in: page.body)), ("action", "remind-now"), ("id", id), ("nonce", nonce)]
            #expect(try await chair.post("/_clicktracker/requests", form: remind).status == 302)
            #expect(try await eventually(seconds: 60) { Self.received(mails).count >= 1 })
            // The same form posted again sends nothing more.
            #expect(try await chair.post("/_clicktracker/requests", form: remind).status == 302)
            #expect(
                try await eventually(seconds: 60) {
                    try await chair.get(url).body.contains("reminder-state\">sent")
                }
            )
            try await Task.sleep(for: .seconds(1))
            let received = Self.received(mails)
            #expect(received.count == 1, "\(received)")
            let mail = try #require(received.first)
            #expect(mail["to"] as? [String] == ["alice@example.org"])
            #expect(mail["tls"] as? Bool == encrypted && mail["user"] as? String == (encrypted ? "board" : nil))
            #expect((mail["header_to"] as? String)?.contains("Alice Ärger") == true)
            #expect((mail["subject"] as? String)?.contains("Board, 3 December") == true)
            let body = mail["body"] as? String ?? ""
            #expect(body.contains("Still to read (2 of 2)") && body.contains("https://papers.example.org/papers/minutes.html"))
            #expect(body.contains("https://papers.example.org/papers/budget.html"))

            let shown = try await chair.get(url)
            #expect(shown.body.contains("alice@example.org") && shown.body.contains("no address"))
            // The schedule: refused when it is not whole hours (nothing changes), saved otherwise.
            let form = try chair.csrfToken(in: shown.body)
            let refused = try await chair.post(
                "/_clicktracker/requests",
                form: [("csrf", form), ("action", "reminders"), ("id", id), ("hours", "soon")]
            )
            #expect(refused.status == 400 && refused.body.contains("whole hours before the deadline"))
            #expect(try await chair.get(url).body.contains("value=\"48, 2\""))
            let saved = try await chair.post(
                "/_clicktracker/requests",
                form: [("csrf", form), ("action", "reminders"), ("id", id), ("hours", "4, 24")]
            )
            #expect(saved.status == 302)
            let rescheduled = try await chair.get(url).body
            #expect(rescheduled.contains("value=\"24, 4\"") && rescheduled.contains("24 hours before the deadline"))
            #expect(!rescheduled.contains("48 hours before the deadline"))
            let audit = try await chair.get("/_clicktracker/audit")
            #expect(audit.body.contains("reminder sent") && audit.body.contains("reminder not sent"))
            for session in [alice, bob, chair] { await session.close() }
        }
    }
}
