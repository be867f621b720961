import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Puts ClickTracker in front of an existing site: every request outside ClickTracker's own
/// prefix is forwarded to the upstream and its response streamed back (the tracking middleware
/// around it injects the script into tracked pages).
///
/// Bodies stream both ways; hop-by-hop headers are dropped; `X-Forwarded-For/-Proto/-Host` and
/// `Forwarded` are set; redirects are passed through, not followed; cookies travel untouched
/// except ClickTracker's own, which never reach the upstream; an upstream that is down answers
/// `502`, one that is too slow `504`; protocol upgrades (WebSocket) are refused with `501`.
struct UpstreamProxy: RouterMiddleware {
    typealias Context = ServerRequestContext

    /// How the upstream is reached.
    struct Target: Sendable {
        /// `http` or `https`.
        let scheme: String
        /// Host and port, as in a `Host` header.
        let authority: String
        /// A path prefix the upstream lives under (no trailing `/`), or empty.
        let basePath: String

        init(url: String) throws(ConfigurationError) {
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
                scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
                components.query == nil, components.fragment == nil
            else {
                throw .invalid("upstream must be an http:// or https:// URL without query, such as http://127.0.0.1:8081")
            }
            self.scheme = scheme
            let hostPart = host.contains(":") ? "[\(host)]" : host
            self.authority = components.port.map { "\(hostPart):\($0)" } ?? hostPart
            self.basePath = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
        }
    }

    let target: Target
    let client: HTTPClient
    /// How long the upstream may take to start its answer.
    let timeout: Duration
    let prefix: String
    /// Send the client's `Host` header upstream instead of the upstream's own.
    let keepsHost: Bool
    /// Whether responses may name the reader (`ClickTracker-User`).
    let trustsUpstreamIdentity: Bool
    /// Proxies in front whose `X-Forwarded-For` is kept (and extended).
    let trustedAddresses: Set<String>
    let readerCookie: ReaderCookie
    let secureCookies: Bool
    let pages: PageRenderer

    /// Headers that describe one connection, never forwarded (RFC 9110 §7.6.1).
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade",
    ]

    /// ClickTracker's own cookies, which the upstream never sees.
    static let ownCookies: Set<String> = [SessionSigner.cookieName, SessionSigner.loginCookieName, ReaderCookie.name]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == prefix || path.hasPrefix(prefix + "/") {
            return try await next(request, context)
        }
        if request.headers[.upgrade] != nil {
            return failure(.notImplemented, "Protocol upgrades (such as WebSocket) are not passed through ClickTracker.", context: context)
        }
        let upstream: HTTPClientResponse
        do {
            upstream = try await startAnswer(forwarded(request, context: context), logger: context.logger)
        } catch let error as HTTPClientError where error == .readTimeout || error == .connectTimeout || error == .deadlineExceeded {
            context.logger.warning("The upstream \(target.authority) did not answer in time: \(error)")
            return failure(.gatewayTimeout, "The site behind ClickTracker did not answer in time.", context: context)
        } catch {
            context.logger.warning("The upstream \(target.authority) cannot be reached: \(error)")
            return failure(.badGateway, "The site behind ClickTracker cannot be reached right now.", context: context)
        }
        return response(from: upstream, for: request)
    }

    /// Sends the request and waits for the upstream's status and headers, at most ``timeout``;
    /// the body then streams for as long as it takes.
    private func startAnswer(_ request: HTTPClientRequest, logger: Logger) async throws -> HTTPClientResponse {
        let (client, timeout) = (client, timeout)
        return try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
            group.addTask { try await client.execute(request, deadline: .distantFuture, logger: logger) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let response = try await group.next() ?? nil else { throw HTTPClientError.deadlineExceeded }
            return response
        }
    }

    /// The request as the upstream gets it.
    private func forwarded(_ request: Request, context: Context) -> HTTPClientRequest {
        var outgoing = HTTPClientRequest(
            url: "\(target.scheme)://\(target.authority)\(target.basePath)\(request.uri.path)\(request.uri.query.map { "?" + $0 } ?? "")"
        )
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        let connectionTokens = Set(
            request.headers[values: .connection].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        )
        for field in request.headers {
            let name = field.name.canonicalName
            if Self.hopByHop.contains(name) || connectionTokens.contains(name) || name == "host" { continue }
            switch name {
            case "cookie":
                if let kept = Self.withoutOwnCookies(field.value) { outgoing.headers.add(name: "Cookie", value: kept) }
            case "accept-encoding":
                // Only what the tracker can decode on the way back.
                if field.value.lowercased().contains("gzip") { outgoing.headers.add(name: "Accept-Encoding", value: "gzip") }
            case "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded":
                continue
            default:
                outgoing.headers.add(name: field.name.rawName, value: field.value)
            }
        }
        let clientHost = request.head.authority ?? target.authority
        outgoing.headers.add(name: "Host", value: keepsHost ? clientHost : target.authority)
        let client = context.remoteAddress?.ipAddress ?? "unknown"
        // A chain from a trusted proxy in front is extended; anyone else's is replaced.
        let previous = request.headers[values: HTTPField.Name("X-Forwarded-For")!].joined(separator: ", ")
        let extendsChain = !previous.isEmpty && trustedAddresses.contains(client)
        outgoing.headers.add(name: "X-Forwarded-For", value: extendsChain ? "\(previous), \(client)" : client)
        let proto = secureCookies ? "https" : "http"
        outgoing.headers.add(name: "X-Forwarded-Proto", value: proto)
        outgoing.headers.add(name: "X-Forwarded-Host", value: clientHost)
        let forwardedFor = client.contains(":") ? "\"[\(client)]\"" : client
        outgoing.headers.add(name: "Forwarded", value: "for=\(forwardedFor);host=\"\(clientHost)\";proto=\(proto)")

        let length = request.headers[.contentLength].flatMap { Int($0) }
        if length.map({ $0 > 0 }) ?? (request.headers[.transferEncoding] != nil) {
            outgoing.body = .stream(request.body, length: length.map { .known(Int64($0)) } ?? .unknown)
        }
        return outgoing
    }

    /// The upstream's response as the browser gets it (before the tracking middleware).
    private func response(from upstream: HTTPClientResponse, for request: Request) -> Response {
        var headers = HTTPFields()
        let connectionTokens = Set(
            upstream.headers["Connection"].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        )
        for (name, value) in upstream.headers {
            let lowered = name.lowercased()
            guard !Self.hopByHop.contains(lowered), !connectionTokens.contains(lowered), let fieldName = HTTPField.Name(name) else { continue }
            headers.append(HTTPField(name: fieldName, value: value))
        }
        if !trustsUpstreamIdentity {
            headers[.clickTrackerUser] = nil
        } else if let member = headers[.clickTrackerUser], request.method == .get, upstream.status == .ok,
            (1...256).contains(member.utf8.count)
        {
            // The page's beacon goes to the collector, which must know who the upstream said read it.
            let cookie = Cookie(
                name: ReaderCookie.name,
                value: readerCookie.value(for: member),
                maxAge: Int(ReaderCookie.lifetime),
                path: prefix,
                secure: secureCookies,
                httpOnly: true,
                sameSite: .lax
            )
            headers.append(HTTPField(name: .setCookie, value: cookie.description))
        }
        let status = HTTPResponse.Status(code: Int(upstream.status.code), reasonPhrase: upstream.status.reasonPhrase)
        let hasNoBody = request.method == .head || status == .noContent || status == .notModified || status.kind == .informational
        let length = headers[.contentLength].flatMap { Int($0) }
        let body =
            hasNoBody
            ? ResponseBody()
            : ResponseBody(contentLength: length) { writer in
                for try await buffer in upstream.body {
                    try await writer.write(buffer)
                }
                try await writer.finish(nil)
            }
        return Response(status: status, headers: headers, body: body)
    }

    /// A `Cookie` header without ClickTracker's own cookies, or `nil` if nothing is left.
    static func withoutOwnCookies(_ header: String) -> String? {
        let kept = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { pair in
            let name = pair.prefix { $0 != "=" }
            return !pair.isEmpty && !ownCookies.contains(String(name))
        }
        return kept.isEmpty ? nil : kept.joined(separator: "; ")
    }

    private func failure(_ status: HTTPResponse.Status, _ text: String, context: Context) -> Response {
        context.clickTracker.ignore()
        return pages.page("message", ["heading": status.reasonPhrase, "text": text], context: context, status: status)
    }
}
