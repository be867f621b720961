import ClickTracker
import ClickTrackerTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Testing

@testable import ClickTrackerServer

/// Sessions end when they should, on every instance; guessing passwords is held back; forms
/// from other sites are refused.
@Suite("Sessions and sign-in")
struct SessionSecurityTests {
    @Test("A cookie is found by its exact name among several, in any Cookie header, as Hummingbird's parser finds it")
    func cookieLookup() {
        var fields = HTTPFields()
        fields.append(HTTPField(name: .cookie, value: "xct_session=wrong; ct_session_old=wrong;\tct_login=a=b=c"))
        fields.append(HTTPField(name: .cookie, value: "theme=dark;  ct_session=v2.abc; ct_session=second"))
        let head = HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/", headerFields: fields)
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
        #expect(request.cookieValue("ct_session") == "v2.abc")
        #expect(request.cookieValue("ct_login") == "a=b=c")
        #expect(request.cookieValue("theme") == "dark")
        #expect(request.cookieValue("missing") == nil)
        for name in ["ct_session", "ct_login", "theme", "missing"] {
            #expect(request.cookieValue(name) == request.cookies[name]?.value)
        }
    }

    /// `true` when a session with this cookie is signed in (its own reads page answers 200).
    static func isSignedIn(_ cookie: String, port: Int) async throws -> Bool {
        let copy = HTTPSession(port: port)
        await copy.setCookie(SessionSigner.cookieName, cookie)
        let status = try await copy.get("/_clicktracker/reads").status
        await copy.close()
        return status == 200
    }

    @Test("Sign-out ends the session on every instance: a copy of the cookie taken before stops working on both")
    func signOutEverywhere() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        var other = fixture
        other.configuration.spoolDirectory = fixture.directory.file("spool-b")
        let second = other
        try await fixture.withServer { port in
            try await second.withServer { secondPort in
                let alice = HTTPSession(port: port)
                try await alice.signIn("alice")
                let cookie = try #require(await alice.cookie(SessionSigner.cookieName))
                #expect(try await Self.isSignedIn(cookie, port: port))
                #expect(try await Self.isSignedIn(cookie, port: secondPort))

                let page = try await alice.get("/_clicktracker/reads")
                let signOut = try await alice.post("/_clicktracker/logout", form: [("csrf", try alice.csrfToken(in: page.body))])
                #expect(signOut.status == 302)
                #expect(await alice.cookie(SessionSigner.cookieName) == nil)
                #expect(try await !Self.isSignedIn(cookie, port: port))
                // The other instance re-checks a session it knows within two seconds.
                #expect(try await eventually(seconds: 30) { try await !Self.isSignedIn(cookie, port: secondPort) })

                // Signing in again makes a new session that works.
                try await alice.signIn("alice")
                #expect(try await alice.get("/_clicktracker/reads").status == 200)
                await alice.close()
            }
        }
    }

    @Test(
        "An administrator signing in with nowhere particular to go lands on the control panel; a member goes where they were; the sign-out link shows a button"
    )
    func landingAndSignOutLink() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let chair = HTTPSession(port: port)
            #expect(try await chair.signIn("chair").header("Location") == "/_clicktracker/")
            let chosen = HTTPSession(port: port)
            #expect(try await chosen.signIn("chair", next: "/papers/budget.html").header("Location") == "/papers/budget.html")
            let alice = HTTPSession(port: port)
            #expect(try await alice.signIn("alice").header("Location") == "/")

            // GET never signs anyone out: it shows the button, which posts with the CSRF token.
            let link = try await alice.get("/_clicktracker/logout")
            #expect(link.status == 200 && link.body.contains("You are signed in as alice") && link.body.contains("id=\"sign-out\""))
            #expect(link.body.contains("<span class=\"who\">Signed in as alice"))
            #expect(try await alice.get("/_clicktracker/reads").status == 200)
            #expect(try await alice.post("/_clicktracker/logout", form: [("csrf", try alice.csrfToken(in: link.body))]).status == 302)
            #expect(try await alice.get("/_clicktracker/logout").header("Location") == "/_clicktracker/login")
            for session in [chair, chosen, alice] { await session.close() }
        }
    }

    @Test("A new password ends the sessions signed in with the old one; deleting a user ends theirs")
    func passwordResetAndDeletion() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            let aliceCookie = try #require(await alice.cookie(SessionSigner.cookieName))
            let bob = HTTPSession(port: port)
            try await bob.signIn("bob")
            let bobCookie = try #require(await bob.cookie(SessionSigner.cookieName))

            let users = UserDirectory(path: fixture.configuration.usersFile)
            try users.setUser(name: "alice", password: "a whole new passphrase", role: .member, cost: 4)
            #expect(try await eventually(seconds: 30) { try await !Self.isSignedIn(aliceCookie, port: port) })
            #expect(try await alice.signIn("alice", password: "a whole new passphrase").status == 302)
            #expect(try await alice.get("/_clicktracker/reads").status == 200)

            #expect(try await Self.isSignedIn(bobCookie, port: port))
            #expect(try users.removeUser(name: "bob"))
            #expect(try await eventually(seconds: 30) { try await !Self.isSignedIn(bobCookie, port: port) })
            await alice.close()
            await bob.close()
        }
    }

    @Test("Five wrong passwords in a row hold the account back, even with the right one, and say so in the audit log")
    // The hold lasts 15 s; the two requests after it are far quicker even on a loaded machine.
    func accountThrottling() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let guesser = HTTPSession(port: port)
            for attempt in 1...4 {
                let reply = try await guesser.signIn("bob", password: "guess \(attempt)")
                #expect(reply.status == 401)
                #expect(reply.body.contains("Unknown user name or wrong password."))
            }
            let fifth = try await guesser.signIn("bob", password: "guess 5")
            #expect(fifth.status == 429)
            // Even the right password is not looked at while the account is held back.
            let held = try await guesser.signIn("bob")
            #expect(held.status == 429)
            #expect(held.body.contains("Too many failed sign-ins"))
            #expect(held.body.contains("value=\"bob\""), "the name typed is kept")
            let wait = try #require(held.header("Retry-After").flatMap(Int.init))
            #expect((1...15).contains(wait))
            #expect(held.body.contains("wait 15 seconds") || held.body.contains("wait 1"), "the wait is named")
            // Another account from another browser is not affected.
            let alice = HTTPSession(port: port)
            #expect(try await alice.signIn("alice").status == 302)

            let chair = HTTPSession(port: port)
            try await chair.signIn("chair")
            let audit = try await chair.get("/_clicktracker/audit").body
            #expect(audit.contains("sign-in held back"))
            #expect(audit.contains("account bob: 5 failed sign-ins in a row"))
            await guesser.close()
            await alice.close()
            await chair.close()
        }
    }

    @Test("Twenty wrong passwords from one address, spread over accounts, hold that address back")
    func addressThrottling() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let guesser = HTTPSession(port: port)
            var statuses: [Int] = []
            for attempt in 1...20 {
                statuses.append(try await guesser.signIn("user\(attempt % 4)", password: "guess").status)
            }
            #expect(statuses.last == 429)
            let alice = HTTPSession(port: port)
            let refused = try await alice.signIn("alice")
            #expect(refused.status == 429)
            #expect(refused.body.contains("Too many failed sign-ins"))
            await guesser.close()
            await alice.close()
        }
    }

    @Test("Form posts from another site are refused and change nothing; same-site and Origin: null go on to the CSRF check")
    func crossSiteForms() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let chair = HTTPSession(port: port)
            try await chair.signIn("chair")
            let page = try await chair.get("/_clicktracker/tracking?path=/public")
            let csrf = try chair.csrfToken(in: page.body)
            let form = "csrf=\(HTTPSession.encode(csrf))&path=%2Fpublic&action=enable"
            for headers in [[("Origin", "http://evil.example")], [("Origin", "http://127.0.0.1:1")], [("Sec-Fetch-Site", "cross-site")]] {
                let refused = try await chair.post("/_clicktracker/tracking", body: form, headers: headers)
                #expect(refused.status == 403, "\(headers)")
                #expect(refused.body.contains("sent from another web site"))
            }
            #expect(try await fixture.trackedSections().map(\.value) == ["/papers"])
            let sameSite = try await chair.post("/_clicktracker/tracking", body: form, headers: [("Origin", "http://127.0.0.1:\(port)")])
            #expect(sameSite.status != 403, "\(sameSite.body.prefix(300))")
            #expect(try await fixture.trackedSections().map(\.value) == ["/papers", "/public"])

            // Sign-in from another site is refused too.
            let visitor = HTTPSession(port: port)
            let login = try await visitor.get("/_clicktracker/login")
            let token = try visitor.csrfToken(in: login.body, last: true)
            let body = "csrf=\(HTTPSession.encode(token))&next=%2F&username=alice&password=alice-pass"
            #expect(try await visitor.post("/_clicktracker/login", body: body, headers: [("Origin", "https://evil.example")]).status == 403)
            #expect(try await visitor.post("/_clicktracker/login", body: body, headers: [("Origin", "null")]).status == 302)
            await chair.close()
            await visitor.close()
        }
    }

    @Test("Every response ClickTracker makes itself says X-Content-Type-Options: nosniff")
    func noSniff() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            let page = try await alice.get("/papers/budget.html")
            var replies = [page, try await alice.get("/_clicktracker/login"), try await alice.get("/nothing-here.html")]
            replies.append(try await alice.post("/_clicktracker/beacon", form: [("event", "view"), ("token", "forged")]))
            replies.append(try await alice.get("/_clicktracker/tracking"))
            if let script = page.body.firstMatch(of: /src="([^"]+\.js)"/)?.1 {
                replies.append(try await alice.get(String(script)))
            }
            for reply in replies {
                #expect(reply.header("X-Content-Type-Options") == "nosniff", "status \(reply.status)")
            }
            await alice.close()
        }
    }

    @Test("Holds double from 15 seconds to at most 15 minutes; success clears the account's count, not the address's; a day forgets")
    func throttleArithmetic() {
        let throttle = SignInThrottle()
        let start = ContinuousClock.now
        for _ in 1...4 { #expect(throttle.failed(account: "bob", address: "10.0.0.1", now: start).isEmpty) }
        #expect(throttle.wait(account: "bob", address: "10.0.0.1", now: start) == nil)
        #expect(throttle.failed(account: "bob", address: "10.0.0.1", now: start).map(\.wait) == [.seconds(15)])
        #expect(throttle.wait(account: "bob", address: "10.0.0.2", now: start + .seconds(5)) == .seconds(10))
        #expect(throttle.wait(account: "bob", address: "10.0.0.2", now: start + .seconds(15)) == nil)
        var waits: [Duration] = []
        for step in 1...8 {
            let now = start + .seconds(3600 * step)
            waits += throttle.failed(account: "bob", address: "10.0.0.1", now: now).map(\.wait)
        }
        #expect(waits == [30, 60, 120, 240, 480, 900, 900, 900].map { Duration.seconds($0) })
        throttle.succeeded(account: "bob")
        #expect(throttle.wait(account: "bob", address: "10.0.0.3", now: start + .seconds(3600 * 8)) == nil)
        // The address kept its 13 failures; seven more hold it back.
        for _ in 1...6 { _ = throttle.failed(account: "carol", address: "10.0.0.1", now: start + .seconds(3600 * 9)) }
        let held = throttle.failed(account: "dave", address: "10.0.0.1", now: start + .seconds(3600 * 9))
        #expect(held.map(\.key) == [.address("10.0.0.1")])
        // A day without failures forgets the count.
        #expect(throttle.failed(account: "erin", address: "10.0.0.1", now: start + .seconds(3600 * 40)).isEmpty)
    }
}
