import AsyncHTTPClient
import ClickTracker
import ClickTrackerTestSupport
import CompressNIO
import Crypto
import Foundation
import NIOCore
import Testing

@testable import ClickTrackerServer

/// `clicktracker serve --upstream`: ClickTracker in front of another site on loopback.
@Suite("Reverse proxy")
struct ProxyTests {
    /// Runs the upstream and a proxy in front of it; `configure` adjusts the proxy's settings.
    static func withProxy(
        configure: @escaping @Sendable (inout ServerConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (_ proxy: Int, _ upstream: Int, _ fixture: ServerFixture) async throws -> Void
    ) async throws {
        try await TestUpstream.run { upstreamPort in
            var setup = try await ServerFixture.proxying("http://127.0.0.1:\(upstreamPort)")
            setup.configuration.upstreamTimeout = 15
            configure(&setup.configuration)
            let fixture = setup
            defer { fixture.remove() }
            try await fixture.withServer { port in
                try await body(port, upstreamPort, fixture)
            }
        }
    }

    @Test(
        "Responses pass through: redirects not followed, cookies both ways, 204/206/304 and HEAD untouched, forwarded headers set, hop-by-hop dropped"
    )
    func passThrough() async throws {
        try await Self.withProxy { port, upstreamPort, _ in
            let browser = HTTPSession(port: port)
            let redirect = try await browser.get("/redirect")
            #expect(redirect.status == 302)
            #expect(redirect.header("Location") == "/papers/doc.html")
            // A redirect to the upstream's own address keeps the browser on the proxy.
            #expect(try await browser.get("/absolute-redirect").header("Location") == "/papers/doc.html?x=1")
            // Made relative only when the rest is a plain path: these would leave for another site.
            let upstream = "http://127.0.0.1:\(upstreamPort)"
            for rest in ["//evil.example/x", "/\\evil.example", "///evil.example", "/\t/evil.example", "/\\/evil.example"] {
                let location = try await browser.get("/redirect-to?rest=\(HTTPSession.encode(rest))").header("Location")
                #expect(location == upstream + rest, "Location for \(rest.debugDescription): \(location ?? "none")")
            }
            #expect(try await browser.get("/redirect-to?rest=\(HTTPSession.encode("/a/b?c=d"))").header("Location") == "/a/b?c=d")

            // A Host that could smuggle text into Forwarded or a CSP, and dot segments, are refused.
            let badHost = try await rawHTTPExchange(
                port: port,
                "GET /headers HTTP/1.1\r\nHost: x\";for=10.0.0.1\r\nConnection: close\r\n\r\n",
                timeout: 20
            )
            #expect(badHost.hasPrefix("HTTP/1.1 400"))
            #expect(try await browser.get("/papers/%2e%2e/headers").status == 400)

            let cookies = try await browser.get("/cookies", headers: [("Cookie", "x=1; ct_session=secret; y=2")])
            #expect(cookies.body == "x=1; y=2")
            // The upstream's own responses pass unchanged; ClickTracker's pages say nosniff.
            #expect(cookies.header("X-Content-Type-Options") == nil)
            #expect(try await browser.get("/_clicktracker/login").header("X-Content-Type-Options") == "nosniff")
            #expect(cookies.headers["Set-Cookie"].count == 2)
            #expect(cookies.headers["Set-Cookie"].contains { $0.hasPrefix("b=2") && $0.contains("HttpOnly") })

            #expect(try await browser.get("/empty").status == 204)
            let notModified = try await browser.get("/etag", headers: [("If-None-Match", "\"v1\"")])
            #expect(notModified.status == 304)
            #expect(notModified.body.isEmpty)
            let partial = try await browser.get("/range")
            #expect(partial.status == 206)
            #expect(partial.body == "<html><bo")
            #expect(partial.header("Content-Range") == "bytes 0-9/100")

            let get = try await browser.get("/etag")
            let head = try await browser.head("/etag")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(head.header("Content-Length") == get.header("Content-Length"))
            #expect(head.header("ETag") == "\"v1\"")

            let echoed = try await browser.get(
                "/headers",
                headers: [
                    ("Connection", "keep-alive, X-Private"), ("X-Private", "hop"), ("Keep-Alive", "timeout=5"),
                    ("X-Forwarded-For", "6.6.6.6"), ("Accept-Encoding", "br, gzip, zstd"), ("X-Custom", "kept"),
                ]
            ).body
            #expect(echoed.contains("x-custom: kept"))
            #expect(!echoed.contains("x-private"))
            #expect(!echoed.contains("keep-alive: timeout"))
            #expect(echoed.contains("x-forwarded-for: 127.0.0.1"))
            #expect(!echoed.contains("6.6.6.6"))
            #expect(echoed.contains("x-forwarded-proto: http"))
            #expect(echoed.contains("x-forwarded-host: 127.0.0.1:\(port)"))
            #expect(echoed.contains("forwarded: for=127.0.0.1;host=\"127.0.0.1:\(port)\";proto=http"))
            #expect(echoed.split(separator: "\n").filter { $0.hasPrefix("accept-encoding") } == ["accept-encoding: gzip"], "\(echoed)")
            #expect(echoed.contains("host: 127.0.0.1:\(upstreamPort)"))
            await browser.close()
        }
    }

    @Test("A slow upload is not cut off by the upstream timeout, which counts from the end of the request")
    func slowUpload() async throws {
        try await Self.withProxy(configure: { $0.upstreamTimeout = 1 }) { port, _, _ in
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            var upload = HTTPClientRequest(url: "http://127.0.0.1:\(port)/upload")
            upload.method = .POST
            upload.body = .stream(
                AsyncStream<ByteBuffer> { continuation in
                    Task {
                        for _ in 0..<6 {
                            continuation.yield(ByteBuffer(repeating: 0x63, count: 1000))
                            try? await Task.sleep(for: .milliseconds(300))
                        }
                        continuation.finish()
                    }
                },
                length: .unknown
            )
            do {
                let reply = try await client.execute(upload, timeout: .seconds(30))
                #expect(reply.status == .ok)
                #expect(String(buffer: try await reply.body.collect(upTo: 1024)).hasPrefix("6000 "))
            } catch {
                Issue.record(error)
            }
            try await client.shutdown()
        }
    }

    @Test("Large bodies stream both ways without being held in memory")
    func largeBodies() async throws {
        try await Self.withProxy { port, _, _ in
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { Task { try? await client.shutdown() } }
            let download = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/big"), timeout: .seconds(120))
            #expect(download.status == .ok)
            #expect(download.headers.first(name: "Content-Length") == String(TestUpstream.bigSize))
            var received = 0
            for try await buffer in download.body { received += buffer.readableBytes }
            #expect(received == TestUpstream.bigSize)

            var upload = HTTPClientRequest(url: "http://127.0.0.1:\(port)/upload")
            upload.method = .POST
            let chunk = ByteBuffer(repeating: 0x62, count: 1 << 20)
            let chunks = 32
            upload.body = .stream(
                AsyncStream { continuation in
                    for _ in 0..<chunks { continuation.yield(chunk) }
                    continuation.finish()
                },
                length: .unknown
            )
            let reply = try await client.execute(upload, timeout: .seconds(120))
            let text = String(buffer: try await reply.body.collect(upTo: 1024))
            var hash = SHA256()
            for _ in 0..<chunks { chunk.withUnsafeReadableBytes { hash.update(bufferPointer: $0) } }
            #expect(text == "\(chunks << 20) \(hash.finalize().map { String(format: "%02x", $0) }.joined())")
        }
    }

    @Test("Tracked pages get the script (plain, chunked and gzip), streamed without a Content-Length, the ClickTracker headers removed")
    func injection() async throws {
        try await Self.withProxy { port, _, fixture in
            let alice = HTTPSession(port: port)
            _ = try await alice.get("/login-as?u=alice")

            let plain = try await alice.get("/papers/doc.html")
            let token = try #require(viewToken(in: plain.body))
            #expect(plain.header("Content-Length") == nil)
            #expect(plain.header("ClickTracker-User") == nil)
            #expect(plain.header("ClickTracker-Document") == nil)
            #expect(plain.header("Cache-Control") == "no-store")
            #expect(plain.headers["Set-Cookie"].contains { $0.hasPrefix("ct_reader=") && $0.contains("Path=/_clicktracker") })

            let chunked = try await alice.get("/papers/chunked.html")
            #expect(chunked.body.contains("In parts.</p><div data-clicktracker-end></div><script src=\"/_clicktracker/script.js"))

            let gzip = try await alice.get("/papers/gzip.html", headers: [("Accept-Encoding", "gzip")])
            #expect(gzip.header("Content-Encoding") == nil)
            #expect(gzip.body.contains("gzip body gzip body"))
            #expect(viewToken(in: gzip.body) != nil)

            let ignored = try await alice.get("/papers/ignored.html")
            #expect(viewToken(in: ignored.body) == nil)
            #expect(ignored.header("ClickTracker-Ignore") == nil)

            // Anonymous at the upstream: no script.
            let anonymous = HTTPSession(port: port)
            #expect(viewToken(in: try await anonymous.get("/papers/doc.html").body) == nil)

            // The beacon carries the reader cookie; the read is recorded under the upstream's document id.
            #expect(try await alice.post("/_clicktracker/beacon", form: [("event", "view"), ("token", token)]).status == 204)
            #expect(try await anonymous.post("/_clicktracker/beacon", form: [("event", "view"), ("token", token)]).status == 401)
            let log = try await fixture.accessLog("/papers")
            #expect(log.map(\.member) == ["alice"])
            #expect(log.first?.url == "/papers/doc.html")
            await alice.close()
            await anonymous.close()
        }
    }

    @Test("Paths never tracked, from the configuration file or the Tracking page, get no script through the proxy")
    func neverTracked() async throws {
        try await Self.withProxy(configure: { $0.ignoredPaths = ["/papers/chunked.html"] }) { port, _, fixture in
            let alice = HTTPSession(port: port)
            _ = try await alice.get("/login-as?u=alice")
            #expect(viewToken(in: try await alice.get("/papers/doc.html").body) != nil)
            #expect(viewToken(in: try await alice.get("/papers/chunked.html").body) == nil)
            let store = try await fixture.store()
            try await store.setIgnored(try SectionPath("/papers/doc.html"), true)
            try await store.close()
            // No restart: the server notices another instance's change (within 100 ms on SQLite).
            #expect(try await eventually { viewToken(in: try await alice.get("/papers/doc.html").body) == nil })
            #expect(viewToken(in: try await alice.get("/papers/gzip.html", headers: [("Accept-Encoding", "gzip")]).body) != nil)
            await alice.close()
        }
    }

    @Test("Identity header: believed only from trusted addresses, stripped from anyone else's request")
    func identityHeader() async throws {
        try await Self.withProxy(configure: {
            $0.identityHeader = "X-Forwarded-User"
            $0.trustedProxies = ["10.9.9.9"]
            $0.upstreamIdentity = false
        }) { port, _, fixture in
            let spoofer = HTTPSession(port: port)
            let echoed = try await spoofer.get("/headers", headers: [("X-Forwarded-User", "chair"), ("X-Forwarded_User", "chair")]).body
            #expect(!echoed.lowercased().contains("x-forwarded-user"))
            #expect(!echoed.lowercased().contains("x-forwarded_user"))
            #expect(viewToken(in: try await spoofer.get("/papers/doc.html", headers: [("X-Forwarded-User", "chair")]).body) == nil)
            // With upstream identity off, a ClickTracker-User from the upstream is ignored and removed.
            _ = try await spoofer.get("/login-as?u=bob")
            let page = try await spoofer.get("/papers/doc.html")
            #expect(viewToken(in: page.body) == nil)
            #expect(page.header("ClickTracker-User") == nil)
            #expect(try await fixture.accessLog("/papers").isEmpty)
            await spoofer.close()
        }
        try await Self.withProxy(configure: {
            $0.identityHeader = "X-Forwarded-User"
            $0.trustedProxies = ["127.0.0.1"]
        }) { port, _, fixture in
            let proxied = HTTPSession(port: port)
            let echoed = try await proxied.get("/headers", headers: [("X-Forwarded-User", "carol")]).body
            #expect(echoed.contains("x-forwarded-user: carol"))
            let page = try await proxied.get("/papers/doc.html", headers: [("X-Forwarded-User", "carol")])
            let token = try #require(viewToken(in: page.body))
            let beacon = try await proxied.send(path: "/_clicktracker/beacon", token: token, user: "carol")
            #expect(beacon == 204)
            #expect(try await fixture.accessLog("/papers").map(\.member) == ["carol"])
            await proxied.close()
        }
    }

    @Test("An administrator marks a section of the upstream site on the Tracking page; upstream.host keep sends the browser's Host")
    func markSectionAndKeepHost() async throws {
        try await Self.withProxy(configure: {
            $0.keepsHost = true
            $0.initialSections = []
        }) { port, _, fixture in
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            let overview = try await admin.get("/_clicktracker/")
            #expect(overview.body.contains("id=\"track-section\""))
            let csrf = try admin.csrfToken(in: overview.body)
            let marked = try await admin.post("/_clicktracker/tracking", form: [("csrf", csrf), ("path", "/papers"), ("action", "enable")])
            #expect(marked.status == 302)
            #expect(try await fixture.trackedSections() == [try SectionPath("/papers")])
            let echoed = try await admin.get("/headers").body
            #expect(echoed.contains("host: 127.0.0.1:\(port)"))
            #expect(!echoed.contains("ct_session"))
            await admin.close()
        }
    }

    @Test("Upstream down answers 502, too slow 504, upgrades 501; ClickTracker's own pages still work")
    func failures() async throws {
        try await Self.withProxy(configure: { $0.upstreamTimeout = 1 }) { port, _, _ in
            let browser = HTTPSession(port: port)
            do {
                let slow = try await browser.get("/slow")
                #expect(slow.status == 504)
                #expect(slow.body.contains("did not answer in time"))
                let upgrade = try await rawHTTPExchange(
                    port: port,
                    "GET /socket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                    timeout: 20
                )
                #expect(upgrade.hasPrefix("HTTP/1.1 501"))
                #expect(try await browser.get("/_clicktracker/login").status == 200)
            } catch {
                Issue.record(error)
            }
            await browser.close()
        }
        let fixture = try await ServerFixture.proxying("http://127.0.0.1:\(try freePort())")
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let browser = HTTPSession(port: port)
            let down = try await browser.get("/papers/doc.html")
            #expect(down.status == 502)
            #expect(down.body.contains("cannot be reached"))
            #expect(down.header("X-Content-Type-Options") == "nosniff")
            await browser.close()
        }
    }
}

@Suite("Reverse proxy in front of nginx")
struct NginxProxyTests {
    @Test("nginx upstream: gzip pages decoded and injected; PDFs, 304 and ranges byte for byte; HEAD untouched")
    func nginxUpstream() async throws {
        let site = try TemporaryDirectory("nginx-site")
        defer { site.remove() }
        let paper = ServerFixture.document(title: "Minutes", body: "<p>" + String(repeating: "Minutes of the meeting. ", count: 400) + "</p>")
        try site.write("papers/minutes.html", paper)
        let pdf = String(repeating: "%PDF-1.4 binary-ish ", count: 5000)
        try site.write("papers/report.pdf", pdf)
        let nginx = try await Nginx(root: site.path)
        defer { nginx.stop() }

        let fixture = try await ServerFixture.proxying("http://127.0.0.1:\(nginx.port)")
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let browser = HTTPSession(port: port)
            let page = try await browser.get("/papers/minutes.html", headers: [("Accept-Encoding", "gzip"), ("Cookie", "who=alice")])
            #expect(page.status == 200)
            #expect(page.header("Content-Encoding") == nil)
            let token = try #require(viewToken(in: page.body))
            let snippet = #"<div data-clicktracker-end></div><script src="[^>]*></script>"#
            #expect(page.body.replacingOccurrences(of: snippet, with: "", options: .regularExpression) == paper)

            let untracked = try await browser.get("/papers/minutes.html", headers: [("Accept-Encoding", "gzip")])
            #expect(untracked.header("Content-Encoding") == "gzip")
            #expect(viewToken(in: untracked.body) == nil)

            let file = try await browser.get("/papers/report.pdf", headers: [("Cookie", "who=alice")])
            #expect(file.body == pdf)
            #expect(file.header("Content-Length") == String(pdf.utf8.count))
            let etag = try #require(file.header("ETag"))
            #expect(try await browser.get("/papers/report.pdf", headers: [("If-None-Match", etag)]).status == 304)
            let range = try await browser.get("/papers/report.pdf", headers: [("Range", "bytes=0-7")])
            #expect(range.status == 206)
            #expect(range.body == "%PDF-1.4")
            let head = try await browser.head("/papers/minutes.html")
            #expect(head.header("Content-Length") == String(paper.utf8.count))
            #expect(head.body.isEmpty)

            #expect(try await browser.post("/_clicktracker/beacon", form: [("event", "view"), ("token", token)]).status == 204)
            // The page's <title>, read on the way through (gzip-compressed), names it in the reports.
            #expect(try await fixture.accessLog("/papers").map { "\($0.member) \($0.title ?? "no title")" } == ["alice Minutes"])
            await browser.close()
        }
    }
}

extension HTTPSession {
    /// Sends a beacon with a trusted identity header, as an authenticating proxy in front would.
    func send(path: String, token: String, user: String) async throws -> Int {
        let body = "event=view&token=\(HTTPSession.encode(token))"
        return try await post(path, body: body, headers: [("X-Forwarded-User", user)]).status
    }
}
