import ClickTracker
import ClickTrackerTestSupport
import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ClickTrackerHummingbird

/// A host app's context: the member comes from the app's own authentication (here a test header).
struct AppContext: ClickTrackerRequestContext {
    var coreContext: CoreRequestContextStorage
    var clickTrackerMember: String?
    let clickTracker = ClickTrackerRequestState()

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}

/// Stands in for the host app's authentication middleware.
struct TestSignInMiddleware: RouterMiddleware {
    typealias Context = AppContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clickTrackerMember = request.headers[HTTPField.Name("X-Test-User")!]
        return try await next(request, context)
    }
}

@Suite("Hummingbird middleware and collector")
struct ClickTrackerMiddlewareTests {
    static let page = "<html><head><title>Budget</title></head><body><p>Budget 2027</p></body></html>"

    struct Fixture {
        let store = InMemoryStore()
        let tracker: ClickTracker

        init() {
            tracker = ClickTracker(storage: store, key: SecretKey(bytes: Array(repeating: UInt8(7), count: 32)))
        }

        func makeApplication() async throws -> some ApplicationProtocol {
            try await store.setTracked(try SectionPath("/papers"), true)
            let router = Router(context: AppContext.self, options: .autoGenerateHeadEndpoints)
            router.middlewares.add(TestSignInMiddleware())
            router.middlewares.add(ClickTrackerMiddleware(tracker: tracker))
            ClickTrackerCollector<AppContext>(tracker: tracker).addRoutes(to: router)
            let html: HTTPFields = [.contentType: "text/html; charset=utf-8"]
            router.get("/papers/a.html") { _, _ in
                Response(status: .ok, headers: html, body: .init(byteBuffer: ByteBuffer(string: page)))
            }
            router.get("/public/a.html") { _, _ in
                Response(status: .ok, headers: html, body: .init(byteBuffer: ByteBuffer(string: page)))
            }
            router.get("/papers/stream.html") { _, _ in
                Response(
                    status: .ok,
                    headers: html,
                    body: ResponseBody { writer in
                        for part in ["<html><body>", "<p>streamed</p></bo", "dy></html>"] {
                            try await writer.write(ByteBuffer(string: part))
                        }
                        try await writer.finish(nil)
                    }
                )
            }
            router.get("/papers/ignored.html") { _, context in
                context.clickTracker.ignore()
                return Response(status: .ok, headers: html, body: .init(byteBuffer: ByteBuffer(string: page)))
            }
            router.get("/papers/hinted.html") { _, _ in
                var headers = html
                headers[.clickTrackerTitle] = "Budget%20%E2%82%AC"
                headers[.clickTrackerDocument] = "doc-42"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
            }
            router.get("/papers/versioned.html") { _, _ in
                var headers = html
                headers[.clickTrackerVersion] = "2026-11-27T10:00"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
            }
            router.get("/papers/opted-out.html") { _, _ in
                var headers = html
                headers[.clickTrackerIgnore] = "1"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
            }
            router.get("/papers/data.json") { _, _ in
                Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"a\":\"</body>\"}")))
            }
            router.get("/papers/missing.html") { _, _ in
                Response(status: .notFound, headers: html, body: .init(byteBuffer: ByteBuffer(string: page)))
            }
            router.get("/papers/brotli.html") { _, _ in
                var headers = html
                headers[.contentEncoding] = "br"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: [0x1f, 0x8b, 0x08, 0x00])))
            }
            router.get("/papers/gzip.html") { _, _ in
                var headers = html
                headers[.contentEncoding] = "gzip"
                var plain = ByteBuffer(string: page)
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: try plain.compress(with: .gzip())))
            }
            return Application(router: router, services: [tracker.queue])
        }
    }

    static let member: HTTPFields = [HTTPField.Name("X-Test-User")!: "alice"]

    static func token(in body: String) -> String? {
        guard let range = body.range(of: "data-token=\"") else { return nil }
        return String(body[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test("A tracked page gets the snippet before </body>, streamed without a Content-Length", arguments: [TestingSetup.router, .live])
    func injects(setup: TestingSetup) async throws {
        let fixture = Fixture()
        try await fixture.makeApplication().test(setup) { client in
            let response = try await client.execute(uri: "/papers/a.html", method: .get, headers: Self.member)
            let body = String(buffer: response.body)
            #expect(response.status == .ok)
            #expect(body.hasPrefix("<html><head><title>Budget</title></head><body><p>Budget 2027</p><div data-clicktracker-end></div><script"))
            #expect(body.contains("<script src=\"/_clicktracker/script.js?v=\(TrackingScript.version)\""))
            #expect(body.hasSuffix("async></script></body></html>"))
            #expect(response.headers[.contentLength] == nil)
            #expect(response.headers[.cacheControl] == "no-store")
        }
    }

    /// The claims of the token in a page, verified.
    static func claims(in body: String, fixture: Fixture) throws -> ViewToken {
        let value = try #require(Self.token(in: body))
        return try fixture.tracker.signer.verify(value, member: "alice")
    }

    @Test("The token names the document's version: a hash of its text and its word count, or the site's version")
    func versions() async throws {
        let fixture = Fixture()
        try await fixture.makeApplication().test(.router) { client in
            let plain = try await client.execute(uri: "/papers/a.html", method: .get, headers: Self.member)
            let streamed = try await client.execute(uri: "/papers/stream.html", method: .get, headers: Self.member)
            let gzipped = try await client.execute(uri: "/papers/gzip.html", method: .get, headers: Self.member)
            let versioned = try await client.execute(uri: "/papers/versioned.html", method: .get, headers: Self.member)
            let plainVersion = try #require(try Self.claims(in: String(buffer: plain.body), fixture: fixture).version)
            // "Budget Budget 2027": the title and the body text.
            #expect(plainVersion.words == 3)
            #expect(try Self.claims(in: String(buffer: gzipped.body), fixture: fixture).version == plainVersion)
            #expect(try Self.claims(in: String(buffer: streamed.body), fixture: fixture).version?.words == 1)
            #expect(
                try Self.claims(in: String(buffer: versioned.body), fixture: fixture).version == DocumentVersion(id: "2026-11-27T10:00", words: 3)
            )
            #expect(versioned.headers[.clickTrackerVersion] == nil)
        }
    }

    @Test("A section that asks for acknowledgement gets an accessible button, hidden until the script shows it")
    func acknowledgementButton() async throws {
        let fixture = Fixture()
        try await fixture.makeApplication().test(.router) { client in
            let plain = try await client.execute(uri: "/papers/a.html", method: .get, headers: Self.member)
            #expect(!String(buffer: plain.body).contains("<button"))
            try await fixture.store.setPolicy(ReadingPolicy(requiresAcknowledgement: true), for: try SectionPath("/papers"))
            let asking = try await client.execute(uri: "/papers/a.html", method: .get, headers: Self.member)
            #expect(
                String(buffer: asking.body).contains(
                    "<button type=\"button\" class=\"clicktracker-ack\" hidden>I have read this document</button><span role=\"status\"></span></div><script"
                )
            )
        }
    }

    @Test("A closing tag split across streamed chunks still gets the snippet")
    func streamed() async throws {
        let fixture = Fixture()
        try await fixture.makeApplication().test(.live) { client in
            let response = try await client.execute(uri: "/papers/stream.html", method: .get, headers: Self.member)
            let body = String(buffer: response.body)
            #expect(body.hasPrefix("<html><body><p>streamed</p><div data-clicktracker-end></div><script "))
            #expect(body.hasSuffix("async></script></body></html>"))
        }
    }

    @Test(
        "Untracked, anonymous, opted-out, non-HTML, non-200 and encoded responses pass untouched",
        arguments: [
            ("/public/a.html", true), ("/papers/a.html", false), ("/papers/ignored.html", true), ("/papers/opted-out.html", true),
            ("/papers/data.json", true), ("/papers/missing.html", true), ("/papers/brotli.html", true),
        ]
    )
    func untouched(path: String, signedIn: Bool) async throws {
        let fixture = Fixture()
        try await fixture.makeApplication().test(.router) { client in
            let response = try await client.execute(uri: path, method: .get, headers: signedIn ? Self.member : [:])
            #expect(!String(buffer: response.body).contains("data-token"))
            #expect(response.headers[.clickTrackerIgnore] == nil)
            #expect(response.headers[.contentLength] == String(response.body.readableBytes))
        }
    }

    @Test("A gzip page is decompressed on the way and gets the script; the encoding and length headers go")
    func gzip() async throws {
        let fixture = Fixture()
        try await fixture.makeApplication().test(.router) { client in
            let response = try await client.execute(uri: "/papers/gzip.html", method: .get, headers: Self.member)
            let body = String(buffer: response.body)
            #expect(body.hasPrefix("<html><head><title>Budget</title></head><body><p>Budget 2027</p><div data-clicktracker-end></div><script src="))
            #expect(body.contains("data-token"))
            #expect(response.headers[.contentEncoding] == nil)
        }
    }

    @Test("HEAD requests are left alone")
    func head() async throws {
        let fixture = Fixture()
        try await fixture.makeApplication().test(.live) { client in
            let head = try await client.execute(uri: "/papers/a.html", method: .head, headers: Self.member)
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers[.contentLength] == String(Self.page.utf8.count))
            #expect(head.headers[.cacheControl] == nil)
        }
    }

    @Test("Response hints name the document and title and never reach the browser")
    func hints() async throws {
        let fixture = Fixture()
        try await fixture.makeApplication().test(.router) { client in
            let page = try await client.execute(uri: "/papers/hinted.html", method: .get, headers: Self.member)
            #expect(page.headers[.clickTrackerTitle] == nil)
            #expect(page.headers[.clickTrackerDocument] == nil)
            let token = try #require(Self.token(in: String(buffer: page.body)))
            let beacon = try await client.execute(
                uri: "/_clicktracker/beacon",
                method: .post,
                headers: Self.member.merging([.contentType: "application/x-www-form-urlencoded"]),
                body: ByteBuffer(string: "event=view&token=\(token)")
            )
            #expect(beacon.status == .noContent)
            let events = await fixture.store.events
            #expect(events.count == 1)
            #expect(events.first?.document == DocumentReference(key: "doc-42", path: "/papers/hinted.html", title: "Budget €"))
        }
    }

    @Test("A beacon with the page's token records one view for that member; replays record nothing more")
    func beacon() async throws {
        let fixture = Fixture()
        try await fixture.makeApplication().test(.live) { client in
            let page = try await client.execute(uri: "/papers/a.html", method: .get, headers: Self.member)
            let token = try #require(Self.token(in: String(buffer: page.body)))
            let form = Self.member.merging([.contentType: "application/x-www-form-urlencoded"])
            for _ in 0..<3 {
                let beacon = try await client.execute(
                    uri: "/_clicktracker/beacon",
                    method: .post,
                    headers: form,
                    body: ByteBuffer(string: "event=view&token=\(token)")
                )
                #expect(beacon.status == .noContent)
            }
            let events = await fixture.store.events
            #expect(events.map(\.member) == ["alice"])
            #expect(events.first?.url == "/papers/a.html")
            // Without a ClickTracker-Title header, the page's own <title> names the document.
            #expect(events.first?.document.title == "Budget")
        }
    }

    @Test(
        "Bad beacons get a clear 4xx and record nothing",
        arguments: [
            ("bob", "event=view&token=GOOD", HTTPResponse.Status.forbidden),
            (nil, "event=view&token=GOOD", .unauthorized),
            ("alice", "event=view&token=GOODAAAA", .forbidden),
            ("alice", "event=view&token=GOOD!", .badRequest),
            ("alice", "event=view&token=v1.abc", .badRequest),
            ("alice", "event=view", .badRequest),
            ("alice", "event=click&token=GOOD", .badRequest),
            ("alice", "event=report&token=GOOD", .badRequest),
            ("alice", "event=report&token=GOOD&q=1&a=100&s=101&r=0&w=0", .badRequest),
            ("alice", "event=report&token=GOOD&q=1&a=-5&s=10&r=0&w=0", .badRequest),
            ("alice", "event=report&token=GOOD&q=x&a=5&s=10&r=0&w=0", .badRequest),
            ("alice", "event=end&token=GOOD&q=1&a=5&s=10&r=2&w=0", .badRequest),
            ("alice", "event=report&token=GOOD&q=1&a=5&s=10&r=0&w=0", .conflict),
            ("alice", "event=ack&token=GOOD", .conflict),
            ("bob", "event=ack&token=GOOD", .forbidden),
            ("alice", "event=next&token=GOOD", .badRequest),
            ("alice", "event=next&token=GOOD&path=papers", .badRequest),
            ("bob", "event=next&token=GOOD&path=/papers/b.html", .forbidden),
            ("alice", "event=view&token=" + String(repeating: "a", count: 17000), .contentTooLarge),
        ] as [(String?, String, HTTPResponse.Status)]
    )
    func badBeacons(member: String?, body: String, status: HTTPResponse.Status) async throws {
        let fixture = Fixture()
        try await fixture.makeApplication().test(.router) { client in
            let page = try await client.execute(uri: "/papers/a.html", method: .get, headers: Self.member)
            let token = try #require(Self.token(in: String(buffer: page.body)))
            var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            if let member { headers[HTTPField.Name("X-Test-User")!] = member }
            let beacon = try await client.execute(
                uri: "/_clicktracker/beacon",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: body.replacingOccurrences(of: "GOOD", with: token))
            )
            #expect(beacon.status == status)
            #expect(await fixture.store.events.isEmpty)
        }
    }

    @Test("Reports and acknowledgements follow the view; a single-page app gets a token for a tracked path only")
    func beaconKinds() async throws {
        let fixture = Fixture()
        try await fixture.makeApplication().test(.router) { client in
            let page = try await client.execute(uri: "/papers/a.html", method: .get, headers: Self.member)
            let token = try #require(Self.token(in: String(buffer: page.body)))
            let form = Self.member.merging([.contentType: "application/x-www-form-urlencoded"])
            func send(_ body: String) async throws -> TestResponse {
                try await client.execute(uri: "/_clicktracker/beacon", method: .post, headers: form, body: ByteBuffer(string: body))
            }
            #expect(try await send("event=view&token=\(token)&q=1&a=0&s=0&r=0&w=1").status == .noContent)
            #expect(try await send("event=report&token=\(token)&q=2&a=500&s=30&r=0&w=1").status == .noContent)
            // Only a section that asks for confirmation takes one.
            #expect(try await send("event=ack&token=\(token)").status == .conflict)
            try await fixture.store.setPolicy(ReadingPolicy(requiresAcknowledgement: true), for: try SectionPath("/papers"))
            let first = try await send("event=ack&token=\(token)")
            #expect(first.status == .ok && String(buffer: first.body) == "Thank you: your confirmation is recorded.")
            let second = try await send("event=ack&token=\(token)")
            #expect(String(buffer: second.body) == "Your confirmation of this version was already recorded.")
            #expect(try await send("event=end&token=\(token)&q=3&a=600&s=30&r=1&w=1").status == .noContent)
            #expect(try await send("event=report&token=\(token)&q=4&a=700&s=30&r=1&w=1").status == .conflict)
            let events = await fixture.store.events
            #expect(events.count == 1)
            #expect(events.first?.attention?.automated == true)

            let next = try await send("event=next&token=\(token)&path=/papers/b.html")
            #expect(next.status == .ok)
            let claims = try fixture.tracker.signer.verify(String(buffer: next.body), member: "alice")
            #expect(claims.url == "/papers/b.html" && claims.document.path == "/papers/b.html")
            #expect(try await send("event=next&token=\(token)&path=/public/b.html").status == .noContent)
            // The next view needs a recorded first one.
            let unviewed = try #require(
                Self.token(in: String(buffer: try await client.execute(uri: "/papers/a.html", method: .get, headers: Self.member).body))
            )
            #expect(try await send("event=next&token=\(unviewed)&path=/papers/b.html").status == .conflict)
        }
    }

    @Test("When storage fails the beacon is not acknowledged")
    func storageDown() async throws {
        let fixture = Fixture()
        try await fixture.makeApplication().test(.router) { client in
            let page = try await client.execute(uri: "/papers/a.html", method: .get, headers: Self.member)
            let token = try #require(Self.token(in: String(buffer: page.body)))
            struct Down: Error {}
            await fixture.store.setFailure(Down())
            let beacon = try await client.execute(
                uri: "/_clicktracker/beacon",
                method: .post,
                headers: Self.member.merging([.contentType: "application/x-www-form-urlencoded"]),
                body: ByteBuffer(string: "event=view&token=\(token)")
            )
            #expect(beacon.status == .serviceUnavailable)
            #expect(beacon.headers[.retryAfter] != nil)
        }
    }

    @Test("The script is served with long caching when versioned, and revalidates")
    func script() async throws {
        let fixture = Fixture()
        try await fixture.makeApplication().test(.router) { client in
            let script = try await client.execute(uri: "/_clicktracker/script.js?v=\(TrackingScript.version)", method: .get)
            #expect(script.status == .ok)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(script.headers[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(String(buffer: script.body) == TrackingScript.source)
            // The budget: at most 800 bytes once gzip-compressed, measured on the bytes served.
            var served = script.body
            let compressed = try served.compress(with: .gzip())
            #expect(compressed.readableBytes <= 800, "the script is \(compressed.readableBytes) bytes gzip-compressed")
            #expect(script.body.readableBytes < 2000)
            #expect(script.headers[.contentEncoding] == nil && script.headers[.vary] == "Accept-Encoding")
            let etag = try #require(script.headers[.eTag])
            let again = try await client.execute(uri: "/_clicktracker/script.js", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)

            // A browser that accepts gzip gets the compressed bytes, which decompress to the script,
            // under their own entity tag.
            let gzipped = try await client.execute(
                uri: "/_clicktracker/script.js?v=\(TrackingScript.version)",
                method: .get,
                headers: [.acceptEncoding: "br;q=1, gzip;q=0.8, deflate"]
            )
            #expect(gzipped.headers[.contentEncoding] == "gzip" && gzipped.headers[.vary] == "Accept-Encoding")
            #expect(gzipped.body.readableBytes == ScriptResponse.gzipped?.readableBytes && gzipped.body.readableBytes <= 800)
            var body = gzipped.body
            #expect(String(buffer: try body.decompress(with: .gzip())) == TrackingScript.source)
            let gzipTag = try #require(gzipped.headers[.eTag])
            #expect(gzipTag != etag)
            let revalidated = try await client.execute(
                uri: "/_clicktracker/script.js",
                method: .get,
                headers: [.acceptEncoding: "gzip", .ifNoneMatch: gzipTag]
            )
            #expect(revalidated.status == .notModified)
            // gzip;q=0 refuses it; "*" accepts it.
            #expect(ScriptResponse.acceptsGzip(["gzip;q=0, *"]) == false)
            #expect(ScriptResponse.acceptsGzip(["identity, *;q=0.5"]))
            #expect(!ScriptResponse.acceptsGzip(["identity"]) && !ScriptResponse.acceptsGzip([]))
        }
    }
}

extension HTTPFields {
    func merging(_ other: HTTPFields) -> HTTPFields {
        var result = self
        for field in other { result[field.name] = field.value }
        return result
    }
}
