import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

/// Reports and policies through the standalone server over a live socket.
@Suite("Reading evidence over a live socket")
struct EvidenceServerTests {
    /// A report's form fields.
    static func report(_ token: String, _ event: String = "report", q: Int, a: Int, s: Int = 0, r: Int = 0) -> [(String, String)] {
        [("event", event), ("token", token), ("q", String(q)), ("a", String(a)), ("s", String(s)), ("r", String(r)), ("w", "0")]
    }

    @Test("Active time is clamped to the time the server saw pass; replayed and overtaken reports change nothing")
    func clamping() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            let issued = Date()
            let token = try await alice.view("/papers/budget.html")
            try await Task.sleep(for: .seconds(1))
            // The page claims an hour of reading a second after the view.
            #expect(try await alice.post("/_clicktracker/beacon", form: Self.report(token, q: 5, a: 3_600_000, s: 40)).status == 204)
            let elapsed = Int(Date().timeIntervalSince(issued) * 1000)
            let clamped = try #require(try await fixture.readers("/papers").first?.versions.first)
            #expect(clamped.activeMilliseconds > 500 && clamped.activeMilliseconds <= elapsed, "\(clamped.activeMilliseconds) of \(elapsed) ms")
            // Replayed and overtaken reports are answered, but change nothing.
            #expect(try await alice.post("/_clicktracker/beacon", form: Self.report(token, q: 5, a: 3_600_000, s: 90)).status == 204)
            #expect(try await alice.post("/_clicktracker/beacon", form: Self.report(token, q: 4, a: 3_600_000, s: 90)).status == 204)
            let unchanged = try #require(try await fixture.readers("/papers").first?.versions.first)
            #expect(unchanged.activeMilliseconds == clamped.activeMilliseconds && unchanged.maximumScroll == 40)

            // The final report; nothing after it.
            #expect(try await alice.post("/_clicktracker/beacon", form: Self.report(token, "end", q: 6, a: 3_600_000, s: 100, r: 1)).status == 204)
            let late = try await alice.post("/_clicktracker/beacon", form: Self.report(token, q: 7, a: 3_600_000, s: 100, r: 1))
            #expect(late.status == 409 && late.body.contains("final report"))
            let final = try #require(try await fixture.readers("/papers").first?.versions.first)
            #expect(final.reachedEnd && final.maximumScroll == 100)
            #expect(final.activeMilliseconds <= Int(Date().timeIntervalSince(issued) * 1000))
            await alice.close()
        }
    }

    @Test("Reports for another member's render, for a render never viewed, or with bad fields are refused and change nothing")
    func refused() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            let viewed = try #require(viewToken(in: try await alice.get("/papers/budget.html").body))
            #expect(try await alice.post("/_clicktracker/beacon", form: [("event", "view"), ("token", viewed)]).status == 204)
            let neverViewed = try #require(viewToken(in: try await alice.get("/papers/index.html").body))

            let bob = HTTPSession(port: port)
            try await bob.signIn("bob")
            #expect(try await bob.post("/_clicktracker/beacon", form: Self.report(viewed, q: 1, a: 500)).status == 403)
            #expect(try await bob.post("/_clicktracker/beacon", form: [("event", "ack"), ("token", viewed)]).status == 403)
            let unknown = try await alice.post("/_clicktracker/beacon", form: Self.report(neverViewed, q: 1, a: 500))
            #expect(unknown.status == 409 && unknown.body.contains("no view"))
            #expect(try await alice.post("/_clicktracker/beacon", form: [("event", "ack"), ("token", neverViewed)]).status == 409)
            for fields in [[("q", "1"), ("a", "5")], [("q", "1"), ("a", "5"), ("s", "0"), ("r", "0"), ("w", "yes")]] {
                let partial = try await alice.post("/_clicktracker/beacon", form: [("event", "report"), ("token", viewed)] + fields)
                #expect(partial.status == 400)
            }
            let readers = try await fixture.readers("/papers")
            #expect(readers.map(\.member) == ["alice"])
            #expect(readers.first?.versions.first?.activeMilliseconds == 0)
            #expect(readers.first?.versions.first?.acknowledgedAt == nil)
            await alice.close()
            await bob.close()
        }
    }

    @Test("The Tracking page sets a section's policy (admin, CSRF), shows it below, and shows verdicts with evidence")
    func policyForm() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            let page = try await admin.get("/_clicktracker/tracking?path=/papers")
            #expect(page.body.contains("id=\"words-per-minute\" name=\"words-per-minute\" min=\"1\" max=\"10000\" value=\"250\""))
            let csrf = try admin.csrfToken(in: page.body)
            let fields: [(String, String)] = [
                ("path", "/papers"), ("action", "policy"), ("words-per-minute", "200"), ("maximum-seconds", "300"),
                ("minimum-seconds", "20"), ("requires-acknowledgement", "yes"),
            ]
            #expect(try await admin.post("/_clicktracker/tracking", form: [("csrf", "forged")] + fields).status == 403)
            let bad = try await admin.post(
                "/_clicktracker/tracking",
                form: [("csrf", csrf)] + fields.map { $0.0 == "maximum-seconds" ? ($0.0, "-1") : $0 }
            )
            #expect(bad.status == 400)
            #expect(try await fixture.readers("/papers").isEmpty)
            let saved = try await admin.post("/_clicktracker/tracking", form: [("csrf", csrf)] + fields)
            #expect(saved.status == 302)
            let policy = ReadingPolicy(wordsPerMinute: 200, maximumSeconds: 300, minimumSeconds: 20, requiresAcknowledgement: true)
            let store = try await fixture.store()
            #expect(try await store.trackedSections().first { $0.path.value == "/papers" }?.policy == policy)
            try await store.close()

            let member = HTTPSession(port: port)
            try await member.signIn("alice")
            try await member.view("/papers/budget.html")
            let below = try await admin.get("/_clicktracker/tracking?path=/papers/budget.html&readers-columns=all").body
            #expect(below.contains("Set on <a href=\"/_clicktracker/tracking?path=/papers\">/papers</a>: 200 words per minute, at most 300 s"))
            #expect(below.contains("readers are asked to confirm"))
            #expect(
                below.contains(
                    "<td class=\"verdict\" data-level=\"opened\"><span class=\"badge opened\">opened</span></td><td class=\"counts\">no</td><td class=\"active\">0:00 of 0:01</td>"
                )
            )
            #expect(below.contains("<td class=\"end\">no</td>"))
            await member.close()
            await admin.close()
        }
    }
}
