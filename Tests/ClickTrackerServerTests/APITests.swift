import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTrackerServer

/// The JSON API over a live socket, with tokens made and revoked on the API tokens page, every
/// answer checked against the OpenAPI document the server serves.
@Suite("JSON API")
struct APITests {
    /// The repository's `api/openapi.json`.
    static let documentPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("api/openapi.json").path

    /// Calls the API with a token and checks the answer against the document: its status is
    /// `status` and its body matches the schema promised for it.
    struct Client {
        let session: HTTPSession
        let document: OpenAPIDocument
        let secret: String

        @discardableResult
        func call(
            _ method: String,
            _ path: String,
            template: String,
            body: String? = nil,
            expect status: Int,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws -> (JSONValue, HTTPSession.Reply) {
            let headers = [("Authorization", "Bearer \(secret)")]
            let url = "/_clicktracker/api/v1" + path
            let reply: HTTPSession.Reply
            switch method {
            case "POST": reply = try await session.post(url, body: body ?? "", contentType: "application/json", headers: headers)
            case "DELETE": reply = try await session.delete(url, headers: headers)
            default: reply = try await session.get(url, headers: headers)
            }
            #expect(reply.status == status, "\(method) \(path): \(reply.body)", sourceLocation: sourceLocation)
            guard let schema = try document.responseSchema(path: template, method: method, status: reply.status) else {
                #expect(reply.body.isEmpty, sourceLocation: sourceLocation)
                return (.null, reply)
            }
            #expect(reply.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
            let value = try JSONValue.parse(reply.body)
            let problems = try document.problems(value, schema)
            #expect(problems.isEmpty, "\(method) \(path) does not match the document: \(problems)", sourceLocation: sourceLocation)
            return (value, reply)
        }
    }

    @Test("Tokens are made on the control panel and shown once; every operation answers as the OpenAPI document says; a revoked token fails")
    func api() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        let store = try await fixture.store()
        try await store.setTracked(try SectionPath("/papers"), true)
        try await store.setGroup("board", members: [Person(member: "alice", displayName: "Alice <b>Archer</b>"), Person(member: "bob")])
        try await store.close()
        try await fixture.withServer { port in
            for reader in ["alice", "bob"] {
                let session = HTTPSession(port: port)
                try await session.signIn(reader)
                try await session.view("/papers/budget.html")
                if reader == "alice" { try await session.view("/papers/") }
                await session.close()
            }

            // The document is served as it is in the repository, without a token.
            let anonymous = HTTPSession(port: port)
            let served = try await anonymous.get("/_clicktracker/api/openapi.json")
            let inRepository = try String(contentsOfFile: Self.documentPath, encoding: .utf8)
            #expect(served.status == 200 && served.body == inRepository)
            let document = try OpenAPIDocument(served.body)
            let unauthorised = try await anonymous.get("/_clicktracker/api/v1/sections")
            #expect(unauthorised.status == 401 && unauthorised.header("WWW-Authenticate") == "Bearer")
            let forged = try await anonymous.get("/_clicktracker/api/v1/sections", headers: [("Authorization", "Bearer ct_forged")])
            #expect(forged.status == 401)
            #expect(
                try document.problems(
                    try JSONValue.parse(forged.body),
                    try #require(try document.responseSchema(path: "/sections", method: "GET", status: 401))
                ).isEmpty
            )

            // Only administrators make tokens, with the form's CSRF token; the secret is shown once.
            let member = HTTPSession(port: port)
            try await member.signIn("alice")
            #expect(try await member.get("/_clicktracker/tokens").status == 403)
            #expect(try await member.post("/_clicktracker/tokens", form: [("action", "create"), ("name", "mine")]).status == 403)
            await member.close()
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            let csrf = try admin.csrfToken(in: try await admin.get("/_clicktracker/tokens").body)
            #expect(try await admin.post("/_clicktracker/tokens", form: [("action", "create"), ("name", "portal")]).status == 403)
            let made = try await admin.post("/_clicktracker/tokens", form: [("csrf", csrf), ("action", "create"), ("name", "portal <b>")])
            #expect(made.status == 200 && made.header("Cache-Control") == "no-store")
            let secret = try #require(made.body.firstMatch(of: /<code id="token-secret">(ct_[A-Za-z0-9_-]{43})<\/code>/)?.1).description
            #expect(made.body.contains("portal &lt;b&gt;") && !made.body.contains("portal <b>"))
            let listed = try await admin.get("/_clicktracker/tokens").body
            #expect(!listed.contains(secret) && listed.contains("<td class=\"token-state\">active</td>"))
            let stored = try await fixture.store()
            #expect(try await stored.apiTokens().map(\.hash) == [APIToken.hash(secret)])
            try await stored.close()

            let api = Client(session: anonymous, document: document, secret: secret)
            let (sections, _) = try await api.call("GET", "/sections", template: "/sections", expect: 200)
            #expect(sections["sections"]?.array?.first?["path"] == .string("/papers"))

            let (log, _) = try await api.call("GET", "/access-log?section=/papers", template: "/access-log", expect: 200)
            #expect(log["total"] == .integer(3) && log["rows"]?.array?.count == 3)
            #expect(log["rows"]?.array?.first?["name"] == .string("Alice <b>Archer</b>"))
            let (page, _) = try await api.call(
                "GET",
                "/access-log?section=/papers&sort=url&order=desc&offset=1&limit=1",
                template: "/access-log",
                expect: 200
            )
            #expect(page["total"] == .integer(3) && page["rows"]?.array?.map { $0["url"] } == [.string("/papers/budget.html")])
            let (readers, _) = try await api.call("GET", "/readers?section=/papers/budget.html&sort=member", template: "/readers", expect: 200)
            #expect(readers["rows"]?.array?.map { $0["user"] } == [.string("alice"), .string("bob")])
            let (history, _) = try await api.call("GET", "/readers?user=alice", template: "/readers", expect: 200)
            #expect(history["report"] == .string("history") && history["total"] == .integer(2))
            for bad in ["/readers?sort=bogus", "/readers?order=up", "/access-log?limit=0", "/access-log?offset=-1", "/access-log?section=papers"] {
                try await api.call("GET", bad, template: bad.hasPrefix("/readers") ? "/readers" : "/access-log", expect: 400)
            }

            // Requests: created, listed, their status read, deleted; bad bodies create nothing.
            try await api.call("GET", "/requests", template: "/requests", expect: 200)
            let body =
                #"{"title": "Board <3 Dec>", "path": "/papers", "group": "board", "members": ["dave"], "deadline": "2030-12-03T10:00", "time_zone": "Europe/Berlin"}"#
            for broken in [
                "not json", #"{"title": "x"}"#, body.replacingOccurrences(of: "Board <3 Dec>", with: "Board\\r\\n=cmd"),
                body.replacingOccurrences(of: "Europe/Berlin", with: "Mars/Olympus"),
                body.replacingOccurrences(of: "2030-12-03T10:00", with: "2030-02-30T10:00"),
                body.replacingOccurrences(of: "\"/papers\"", with: "\"/\""),
            ] {
                try await api.call("POST", "/requests", template: "/requests", body: broken, expect: 400)
            }
            #expect(try await fixture.readingRequests().isEmpty)
            let (created, reply) = try await api.call("POST", "/requests", template: "/requests", body: body, expect: 201)
            let id = try #require(created["id"]?.integer)
            #expect(reply.header("Location") == "/_clicktracker/api/v1/requests/\(id)")
            #expect(created["deadline"] == .string("2030-12-03T09:00:00Z") && created["created_by"] == .string("token:1 portal <b>"))
            // Without a list of documents, the site's documents under the path (the ignored one left out).
            let found = ["/papers", "/papers/annex/appendix.html", "/papers/budget.html"]
            #expect(created["documents"] == .array(found.map(JSONValue.string)))
            let (list, _) = try await api.call("GET", "/requests", template: "/requests", expect: 200)
            #expect(list["requests"]?.array?.count == 1)
            let (status, _) = try await api.call("GET", "/requests/\(id)", template: "/requests/{id}", expect: 200)
            // One row per reader and document: alice and bob opened one of the three, dave none.
            #expect(status["expected"] == .integer(3) && status["opened"] == .integer(2) && status["not_opened"] == .integer(1))
            #expect(status["documents"] == .integer(3) && status["status_at"] == .string("now") && status["total"] == .integer(9))
            #expect(status["rows"]?.array?.map { $0["user"]?.string ?? "" } == ["dave", "alice", "bob"].flatMap { Array(repeating: $0, count: 3) })
            #expect(status["rows"]?.array?.map { $0["path"]?.string ?? "" } == Array([found, found, found].joined()))
            // A request may name its documents, also ones nobody has opened yet.
            let named = body.replacingOccurrences(
                of: #""deadline""#,
                with: #""documents": ["/papers/budget.html", "/papers/later.html"], "deadline""#
            )
            let (other, _) = try await api.call("POST", "/requests", template: "/requests", body: named, expect: 201)
            #expect(other["documents"] == .array([.string("/papers/budget.html"), .string("/papers/later.html")]))
            try await api.call("DELETE", "/requests/\(other["id"]?.integer ?? 0)", template: "/requests/{id}", expect: 204)
            try await api.call("DELETE", "/requests/\(id)", template: "/requests/{id}", expect: 204)
            try await api.call("GET", "/requests/\(id)", template: "/requests/{id}", expect: 404)
            try await api.call("DELETE", "/requests/\(id)", template: "/requests/{id}", expect: 404)

            // Webhook endpoints: refused without a usable URL or a known event; the secret comes once.
            let badURL = #"{"url": "ftp://hooks.example.org/in", "events": ["read.recorded"]}"#
            try await api.call("POST", "/webhooks", template: "/webhooks", body: badURL, expect: 400)
            let badEvent = #"{"url": "https://hooks.example.org/in", "events": ["read.opened"]}"#
            try await api.call("POST", "/webhooks", template: "/webhooks", body: badEvent, expect: 400)
            try await api.call("POST", "/webhooks", template: "/webhooks", body: "not json", expect: 400)
            let (unlisted, _) = try await api.call("GET", "/webhooks", template: "/webhooks", expect: 200)
            #expect(unlisted["webhooks"] == .array([]))
            let good = #"{"url": "http://127.0.0.1:9/in", "events": ["request.completed", "read.recorded"]}"#
            let (hook, _) = try await api.call("POST", "/webhooks", template: "/webhooks", body: good, expect: 201)
            #expect(hook["secret"]?.string?.hasPrefix("whsec_") == true)
            #expect(hook["events"] == .array([.string("read.recorded"), .string("request.completed")]))
            let (hooks, _) = try await api.call("GET", "/webhooks", template: "/webhooks", expect: 200)
            #expect(hooks["webhooks"]?.array?.count == 1)
            #expect(hooks["webhooks"]?.array?.first?["secret"] == nil)
            let (deliveries, _) = try await api.call("GET", "/webhooks/deliveries?limit=10", template: "/webhooks/deliveries", expect: 200)
            #expect(deliveries["total"] == .integer(0) && deliveries["deliveries"] == .array([]))
            try await api.call("POST", "/webhooks/deliveries/999/resend", template: "/webhooks/deliveries/{id}/resend", expect: 404)
            let hookID = hook["id"]?.integer ?? 0
            try await api.call("DELETE", "/webhooks/\(hookID)", template: "/webhooks/{id}", expect: 204)
            try await api.call("DELETE", "/webhooks/\(hookID)", template: "/webhooks/{id}", expect: 404)

            // Revoked on the page, the token fails at once.
            let tokens = try await admin.get("/_clicktracker/tokens").body
            let tokenID = try #require(tokens.firstMatch(of: /name="id" value="(\d+)"/)?.1).description
            #expect(
                try await admin.post("/_clicktracker/tokens", form: [("csrf", csrf), ("action", "revoke"), ("id", tokenID), ("confirmed", "yes")])
                    .status == 302
            )
            #expect(try await admin.get("/_clicktracker/tokens").body.contains("<td class=\"token-state\">revoked "))
            let again = try await admin.post(
                "/_clicktracker/tokens",
                form: [("csrf", csrf), ("action", "revoke"), ("id", tokenID), ("confirmed", "yes")]
            )
            #expect(again.status == 404)
            try await api.call("GET", "/sections", template: "/sections", expect: 401)
            try await api.call("GET", "/requests/1", template: "/requests/{id}", expect: 401)

            // Every report read through the API is in the audit log under the token's name.
            let audit = try await admin.get("/_clicktracker/audit").body
            #expect(audit.contains("<td class=\"actor\">token:1 portal &lt;b&gt;</td><td class=\"action\">history api</td>"))
            #expect(audit.contains("<td class=\"actor\">chair</td><td class=\"action\">api token revoked</td><td class=\"subject\">1</td>"))
            #expect(audit.contains("<td class=\"action\">access-log api</td><td class=\"subject\">/papers</td>"))
            #expect(audit.contains("<td class=\"action\">request api</td><td class=\"subject\">\(id)</td>"))
            await admin.close()
            await anonymous.close()
        }
    }
}
