import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTrackerServer

@Suite("Standalone server over a live socket")
struct ServerTests {
    @Test("Sign-in: wrong password and missing CSRF are refused; a good sign-in redirects to the page asked for")
    func signIn() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let browser = HTTPSession(port: port)
            let anonymous = try await browser.get("/papers/budget.html")
            #expect(anonymous.status == 302)
            #expect(anonymous.header("Location") == "/_clicktracker/login?next=/papers/budget.html")

            let wrong = try await browser.signIn("alice", password: "nope")
            #expect(wrong.status == 401)
            #expect(wrong.body.contains("Unknown user name or wrong password."))
            #expect(await browser.cookie("ct_session") == nil)

            let unknown = try await browser.signIn("mallory", password: "x")
            #expect(unknown.status == 401)

            let noCSRF = try await browser.post(
                "/_clicktracker/login",
                form: [("username", "alice"), ("password", ServerFixture.passwords["alice"]!), ("next", "/")]
            )
            #expect(noCSRF.status == 403)
            #expect(await browser.cookie("ct_session") == nil)

            let good = try await browser.signIn("alice", next: "/papers/budget.html")
            #expect(good.status == 302)
            #expect(good.header("Location") == "/papers/budget.html")
            let cookie = try #require(good.headers["Set-Cookie"].first { $0.hasPrefix("ct_session=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(try await browser.get("/papers/budget.html").status == 200)

            let offsite = try await browser.signIn("alice", next: "//evil.example/x")
            #expect(offsite.header("Location") == "/")
            await browser.close()
        }
    }

    @Test("A forged or altered session cookie is treated as anonymous")
    func forgedSession() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let browser = HTTPSession(port: port)
            try await browser.signIn("alice")
            let cookie = try #require(await browser.cookie("ct_session"))
            let parts = cookie.split(separator: ".").map(String.init)
            let claims = try #require(Base64URL.decode(parts[0]))
            let asBob = Base64URL.encode(Data(String(decoding: claims, as: UTF8.self).replacingOccurrences(of: "alice", with: "chair").utf8))
            let stranger = HTTPSession(port: port)
            for forged in [asBob + "." + parts[1], parts[0] + "." + Base64URL.encode(Data(repeating: 0, count: 32)), "garbage"] {
                let response = try await stranger.get("/papers/budget.html", headers: [("Cookie", "ct_session=\(forged)")])
                #expect(response.status == 302)
            }
            #expect(try await stranger.get("/papers/budget.html", headers: [("Cookie", "ct_session=\(cookie)")]).status == 200)
            await stranger.close()
            await browser.close()
        }
    }

    @Test("Tracking pages: anonymous → sign in, member → 403, admin → 200")
    func adminOnly() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            for path in ["/_clicktracker/", "/_clicktracker/tracking?path=/papers"] {
                let anonymous = HTTPSession(port: port)
                #expect(try await anonymous.get(path).status == 302)
                await anonymous.close()

                let member = HTTPSession(port: port)
                try await member.signIn("alice")
                let refused = try await member.get(path)
                #expect(refused.status == 403)
                #expect(!refused.body.contains("access-log"))
                await member.close()

                let admin = HTTPSession(port: port)
                try await admin.signIn("chair")
                #expect(try await admin.get(path).status == 200)
                await admin.close()
            }
            let member = HTTPSession(port: port)
            try await member.signIn("alice")
            let page = try await member.get("/_clicktracker/tracking?path=/papers")
            let toggle = try await member.post(
                "/_clicktracker/tracking",
                form: [("csrf", try member.csrfToken(in: page.body)), ("path", "/public"), ("action", "enable")]
            )
            #expect(toggle.status == 403)
            await member.close()
            #expect(try await fixture.trackedSections() == [try SectionPath("/papers")])
        }
    }

    @Test("Enable and disable tracking need a valid CSRF token; the three states of the Tracking page")
    func toggleTracking() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            let untracked = try await admin.get("/_clicktracker/tracking?path=/public/notice.html")
            #expect(untracked.body.contains("id=\"enable-tracking\""))
            let csrf = try admin.csrfToken(in: untracked.body)

            let forged = try await admin.post("/_clicktracker/tracking", form: [("csrf", "bogus"), ("path", "/public"), ("action", "enable")])
            #expect(forged.status == 403)
            let missing = try await admin.post("/_clicktracker/tracking", form: [("path", "/public"), ("action", "enable")])
            #expect(missing.status == 403)
            #expect(try await admin.get("/_clicktracker/tracking?path=/public").body.contains("id=\"enable-tracking\""))

            let enabled = try await admin.post("/_clicktracker/tracking", form: [("csrf", csrf), ("path", "/public/"), ("action", "enable")])
            #expect(enabled.status == 302)
            let marked = try await admin.get("/_clicktracker/tracking?path=/public")
            #expect(marked.body.contains("id=\"disable-tracking\""))
            #expect(marked.body.contains("id=\"access-log\""))
            let inherited = try await admin.get("/_clicktracker/tracking?path=/public/notice.html")
            #expect(inherited.body.contains("tracked through <a href=\"/_clicktracker/tracking?path=/public\">/public</a>"))

            for bad in [("/", "enable"), ("/_clicktracker", "enable"), ("papers", "enable"), ("/public", "explode")] {
                let refused = try await admin.post("/_clicktracker/tracking", form: [("csrf", csrf), ("path", bad.0), ("action", bad.1)])
                #expect(refused.status == 400, "\(bad)")
            }
            let disabled = try await admin.post(
                "/_clicktracker/tracking",
                form: [("csrf", csrf), ("path", "/public"), ("action", "disable"), ("confirmed", "yes")]
            )
            #expect(disabled.status == 302)
            #expect(try await fixture.trackedSections() == [try SectionPath("/papers")])
            await admin.close()
        }
    }

    @Test("A page's beacon writes one row; forged tokens and other members' tokens write nothing")
    func beaconToRow() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            let page = try await alice.get("/papers/budget.html")
            let token = try #require(viewToken(in: page.body))
            #expect(page.header("Content-Length") == nil)
            #expect(page.header("ClickTracker-Title") == nil)

            let bob = HTTPSession(port: port)
            try await bob.signIn("bob")
            #expect(try await bob.post("/_clicktracker/beacon", form: [("event", "view"), ("token", token)]).status == 403)
            #expect(try await alice.post("/_clicktracker/beacon", form: [("event", "view"), ("token", token + "A")]).status == 403)
            #expect(try await fixture.accessLog("/papers").isEmpty)

            #expect(try await alice.post("/_clicktracker/beacon", form: [("event", "view"), ("token", token)]).status == 204)
            let log = try await fixture.accessLog("/papers")
            #expect(log.map(\.member) == ["alice"])
            #expect(log.first?.count == 1)
            #expect(log.first?.title == "Budget 2027")
            await alice.close()
            await bob.close()
        }
    }

    @Test("Untracked, ignored and non-HTML documents get no script")
    func notInjected() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            #expect(viewToken(in: try await alice.get("/papers/budget.html").body) != nil)
            #expect(viewToken(in: try await alice.get("/papers/").body) != nil)
            #expect(viewToken(in: try await alice.get("/%70apers//budget%2Ehtml").body) != nil)
            for path in [
                "/public/notice.html", "/papers/ignored.html", "/papers/ignored%2Ehtml", "/papers/report.pdf", "/_clicktracker/login",
                "/papers/annex/",
            ] {
                let reply = try await alice.get(path)
                #expect(reply.status == 200, "\(path)")
                #expect(viewToken(in: reply.body) == nil, "\(path)")
            }
            await alice.close()
        }
    }

    @Test("Titles and URLs from pages are escaped in the access log")
    func escaping() async throws {
        let title = "<script>alert(1)</script> & \"quotes\""
        let fixture = try await ServerFixture(extraFiles: [
            "papers/x\"><b>.html": ServerFixture.document(
                title: title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;"),
                body: "x"
            )
        ])
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            let page = try await alice.get("/papers/x%22%3E%3Cb%3E.html")
            #expect(page.status == 200)
            let token = try #require(viewToken(in: page.body))
            #expect(try await alice.post("/_clicktracker/beacon", form: [("event", "view"), ("token", token)]).status == 204)
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            let report = try await admin.get("/_clicktracker/tracking?path=/papers").body
            #expect(report.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"))
            #expect(!report.contains("<script>alert"))
            #expect(!report.contains("\"><b>"))
            #expect(report.contains("href=\"/papers/x%22%3E%3Cb%3E.html\""))
            // A quote followed by a combining mark is one Character but must still be escaped.
            let sneaky = try await admin.get("/_clicktracker/tracking?path=/x%22%CC%81%20style%3Dx")
            #expect(sneaky.status == 200)
            let combiningMark = String(Character(Unicode.Scalar(0x301)!))
            let unescaped = "\"" + combiningMark + " style=x"
            let escaped = "&quot;" + combiningMark + " style=x"
            #expect(!sneaky.body.contains(unescaped))
            #expect(sneaky.body.contains(escaped))
            let hugePage = try await admin.get("/_clicktracker/tracking?path=/papers&page=9223372036854775807")
            #expect(hugePage.status == 200)
            await alice.close()
            await admin.close()
        }
    }

    @Test("The access log sorts by a clicked column, reverses on a second click, and pages by 20")
    func sortingAndPaging() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        let store = try await fixture.store()
        try await store.setTracked(try SectionPath("/papers"), true)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.record(
            (0..<25).map { index in
                ViewEvent(
                    member: String(format: "member%02d", index),
                    document: DocumentReference(path: "/papers/budget.html"),
                    url: "/papers/budget.html",
                    renderID: "r\(index)",
                    issuedAt: start,
                    viewedAt: start.addingTimeInterval(Double(index))
                )
            }
        )
        try await store.close()
        try await fixture.withServer { port in
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            // The access log is the page's last table (the readers table comes before it).
            func accessLog(_ page: String) -> String { page.components(separatedBy: "<table id=\"access-log\">").last ?? "" }
            let first = accessLog(try await admin.get("/_clicktracker/tracking?path=/papers").body)
            #expect(first.components(separatedBy: "<td class=\"member\">").count - 1 == 20)
            #expect(first.contains("Rows 1–20 of 25"))
            #expect(first.contains("<td class=\"member\">member00</td>"))
            #expect(first.contains("href=\"/_clicktracker/tracking?path=/papers&amp;sort=member&amp;order=asc&amp;page=2\""))
            #expect(first.contains("href=\"/_clicktracker/tracking?path=/papers&amp;sort=member&amp;order=desc\">Member</a> ▲"))

            let second = accessLog(try await admin.get("/_clicktracker/tracking?path=/papers&sort=member&order=asc&page=2").body)
            #expect(second.components(separatedBy: "<td class=\"member\">").count - 1 == 5)
            #expect(second.contains("Rows 21–25 of 25"))

            let newestFirst = accessLog(try await admin.get("/_clicktracker/tracking?path=/papers&sort=last&order=desc").body)
            let firstMember = newestFirst.components(separatedBy: "<td class=\"member\">").dropFirst().first?.prefix { $0 != "<" }
            #expect(firstMember == "member24")
            #expect(newestFirst.contains("sort=last&amp;order=asc\">Last access</a> ▼"))

            // An empty table says what to do instead of "Rows 0–0 of 0"; one reader is one person.
            let empty = try await admin.get("/_clicktracker/tracking?path=/papers/unread.html").body
            #expect(!empty.contains("Rows 0–0 of 0"))
            #expect(empty.contains("Nobody has read anything here yet: reads appear here once signed-in people open its pages.</td>"))
            let budget = try await admin.get("/_clicktracker/tracking?path=/papers/budget.html").body
            #expect(budget.contains(" of 25 people had opened it by now."))
            #expect(
                try await admin.get("/_clicktracker/storage").body.contains(
                    "It holds 25 views of 1 document (25 access-log rows) and 1 tracked section."
                )
            )
            await admin.close()
        }
    }

    @Test("Paths that try to leave the site folder are not served")
    func traversal() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try fixture.directory.write("secret.txt", "top secret")
        try await fixture.withServer { port in
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            for path in ["/../secret.txt", "/papers/%2e%2e/%2e%2e/secret.txt", "/papers/..%2f..%2fsecret.txt", "/.hidden", "/papers/%00.html"] {
                let reply = try await alice.get(path)
                #expect(reply.status == 404 || reply.status == 400, "\(path) → \(reply.status)")
                #expect(!reply.body.contains("top secret"))
            }
            let slashes = try await alice.get("//papers")
            #expect(slashes.status == 301)
            #expect(slashes.header("Location") == "/papers/")
            await alice.close()
        }
    }
}
