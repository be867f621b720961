import ClickTrackerHummingbird
import CompressNIO
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting

/// A site to put the proxy in front of, on loopback: pages that name their reader the way an
/// intranet would (from its own `who` cookie, as `ClickTracker-User`), gzip and chunked pages,
/// a strict Content-Security-Policy, redirects, cookies, large bodies both ways, 204/206/304,
/// a slow page, and an echo of the request headers it received.
enum TestUpstream {
    static let bigSize = 64 << 20

    static func page(_ title: String, _ body: String) -> String {
        ServerFixture.document(title: title, body: body)
    }

    static func router() -> Router<BasicRequestContext> {
        let router = Router(options: .autoGenerateHeadEndpoints)
        /// The upstream's own sign-in: `/login-as?u=alice` sets its `who` cookie.
        router.get("/login-as") { request, _ in
            let name = request.uri.queryParameters["u"].map(String.init) ?? ""
            var response = Response.redirect(to: request.uri.queryParameters["next"].map(String.init) ?? "/papers/doc.html", type: .found)
            response.setCookie(Cookie(name: "who", value: name, path: "/"))
            return response
        }
        router.get("/papers/doc.html") { request, _ in
            html(page("Board paper", "<p>The paper.</p>"), reader: request.cookies["who"]?.value, extra: [.clickTrackerDocument: "paper-1"])
        }
        router.get("/papers/ignored.html") { request, _ in
            html(page("Cover", "<p>Ignored.</p>"), reader: request.cookies["who"]?.value, extra: [.clickTrackerIgnore: "1"])
        }
        router.get("/papers/csp.html") { request, _ in
            html(
                page("Strict", "<p>Strict policy.</p>"),
                reader: request.cookies["who"]?.value,
                extra: [.contentSecurityPolicy: "default-src 'none'; style-src 'self'; img-src 'self'"]
            )
        }
        router.get("/papers/gzip.html") { request, _ in
            var plain = ByteBuffer(string: page("Compressed", "<p>" + String(repeating: "gzip body ", count: 2000) + "</p>"))
            let compressed = try plain.compress(with: .gzip())
            var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .contentEncoding: "gzip", .vary: "Accept-Encoding"]
            if let who = request.cookies["who"]?.value { headers[.clickTrackerUser] = who }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: compressed))
        }
        router.get("/papers/chunked.html") { request, _ in
            var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
            if let who = request.cookies["who"]?.value { headers[.clickTrackerUser] = who }
            return Response(
                status: .ok,
                headers: headers,
                body: ResponseBody { writer in
                    for part in ["<!doctype html><html><head><title>Chunked</title></head><bo", "dy><p>In parts.</p></bo", "dy></html>"] {
                        try await writer.write(ByteBuffer(string: part))
                    }
                    try await writer.finish(nil)
                }
            )
        }
        router.get("/redirect") { _, _ in Response.redirect(to: "/papers/doc.html", type: .found) }
        router.get("/absolute-redirect") { request, _ in
            Response.redirect(to: "http://\(request.head.authority ?? "")/papers/doc.html?x=1", type: .found)
        }
        // Redirects to its own origin followed by the query's `rest`, verbatim.
        router.get("/redirect-to") { request, _ in
            let rest = request.uri.queryParameters["rest"].map(String.init) ?? ""
            return Response(status: .found, headers: [.location: "http://\(request.head.authority ?? "")\(rest)"])
        }
        router.get("/cookies") { request, _ in
            var response = Response(
                status: .ok,
                headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: request.headers[.cookie] ?? ""))
            )
            response.setCookie(Cookie(name: "a", value: "1", path: "/"))
            response.setCookie(Cookie(name: "b", value: "2", path: "/", httpOnly: true))
            return response
        }
        router.get("/headers") { request, _ in
            let lines = (["host: \(request.head.authority ?? "")"] + request.headers.map { "\($0.name.canonicalName): \($0.value)" })
                .joined(separator: "\n")
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: lines)))
        }
        router.get("/big") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/octet-stream"],
                body: ResponseBody(contentLength: bigSize) { writer in
                    let chunk = ByteBuffer(repeating: 0x61, count: 1 << 20)
                    for _ in 0..<(bigSize >> 20) { try await writer.write(chunk) }
                    try await writer.finish(nil)
                }
            )
        }
        router.post("/upload") { request, _ in
            var hash = SHA256()
            var size = 0
            for try await buffer in request.body {
                size += buffer.readableBytes
                buffer.withUnsafeReadableBytes { hash.update(bufferPointer: $0) }
            }
            let digest = hash.finalize().map { String(format: "%02x", $0) }.joined()
            return "\(size) \(digest)"
        }
        router.get("/empty") { _, _ in Response(status: .noContent) }
        router.get("/etag") { request, _ in
            if request.headers[.ifNoneMatch] == "\"v1\"" { return Response(status: .notModified, headers: [.eTag: "\"v1\""]) }
            return Response(
                status: .ok,
                headers: [.eTag: "\"v1\"", .contentType: "text/html"],
                body: .init(byteBuffer: ByteBuffer(string: page("E", "<p>e</p>")))
            )
        }
        router.get("/range") { _, _ in
            Response(
                status: .partialContent,
                headers: [.contentType: "text/html", .contentRange: "bytes 0-9/100"],
                body: .init(byteBuffer: ByteBuffer(string: "<html><bo"))
            )
        }
        router.get("/slow") { _, _ in
            try await Task.sleep(for: .seconds(5))
            return "late"
        }
        return router
    }

    static func html(_ text: String, reader: String?, extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        headers.append(contentsOf: extra)
        if let reader, !reader.isEmpty { headers[.clickTrackerUser] = reader }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Runs the upstream on a free loopback port for the duration of `body`.
    static func run(_ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body(client.port!)
        }
    }
}
