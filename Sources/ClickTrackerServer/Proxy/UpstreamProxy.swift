import AsyncHTTPClient
import ClickTrackerHummingbird
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
/// `Forwarded` are set (extended from a trusted proxy in front); redirects are passed through, not
/// followed (a redirect to the upstream's own address made relative); cookies travel untouched
/// except ClickTracker's own, which never reach the upstream; an upstream that is down answers
/// `502`, one that is too slow `504`; WebSocket upgrades are refused with `501`; a request with an
/// invalid `Host` or a dot segment in its path is refused with `400`.
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

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == prefix || path.hasPrefix(prefix + "/") {
            return try await next(request, context)
        }
        if request.headers[.upgrade]?.lowercased().contains("websocket") == true {
            return failure(.notImplemented, "WebSocket connections are not passed through ClickTracker.", context: context)
        }
        let hasValidHost = request.head.authority.map { HTTPAuthority.isValid($0) } ?? true
        guard hasValidHost, !ProxyHeaders.hasDotSegment(path) else {
            return failure(.badRequest, "The request's host or path is not valid.", context: context)
        }
        let sent = Signal()
        let upstream: HTTPClientResponse
        do {
            upstream = try await startAnswer(forwarded(request, context: context, sent: sent), sent: sent, logger: context.logger)
        } catch let error as HTTPClientError where error == .readTimeout || error == .connectTimeout || error == .deadlineExceeded {
            context.logger.warning("The upstream \(target.authority) did not answer in time: \(error)")
            return failure(.gatewayTimeout, "The site behind ClickTracker did not answer in time.", context: context)
        } catch {
            context.logger.warning("The upstream \(target.authority) cannot be reached: \(error)")
            return failure(.badGateway, "The site behind ClickTracker cannot be reached right now.", context: context)
        }
        return response(from: upstream, for: request)
    }

    /// Sends the request and waits for the upstream's status and headers: at most ``timeout``
    /// once the request, its body included, has been sent (`sent` fires). The response body then
    /// streams for as long as it takes (the browser can always go away).
    private func startAnswer(_ request: HTTPClientRequest, sent: Signal, logger: Logger) async throws -> HTTPClientResponse {
        let (client, timeout) = (client, timeout)
        return try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
            group.addTask { try await client.execute(request, deadline: .distantFuture, logger: logger) }
            group.addTask {
                await sent.wait()
                try await Task.sleep(for: timeout)
                return nil
            }
            defer {
                // An upstream may answer before it has read the whole body: the timer stops either way.
                sent.fire()
                group.cancelAll()
            }
            guard let response = try await group.next() ?? nil else { throw HTTPClientError.deadlineExceeded }
            return response
        }
    }

    /// The request as the upstream gets it; `sent` fires once its body has been read to the end.
    private func forwarded(_ request: Request, context: Context, sent: Signal) -> HTTPClientRequest {
        var outgoing = HTTPClientRequest(
            url: "\(target.scheme)://\(target.authority)\(target.basePath)\(request.uri.path)\(request.uri.query.map { "?" + $0 } ?? "")"
        )
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        let client = context.remoteAddress?.ipAddress ?? "unknown"
        let fromTrustedProxy = trustedAddresses.contains(client)
        let connectionTokens = ProxyHeaders.connectionTokens(request.headers[values: .connection])
        var incoming: [String: [String]] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            if ProxyHeaders.hopByHop.contains(name) || connectionTokens.contains(name) || name == "host" { continue }
            switch name {
            case "cookie":
                if let kept = ProxyHeaders.withoutOwnCookies(field.value) { outgoing.headers.add(name: "Cookie", value: kept) }
            case "accept-encoding":
                // Only what the tracker can decode on the way back.
                if ProxyHeaders.acceptsGzip(field.value) { outgoing.headers.add(name: "Accept-Encoding", value: "gzip") }
            case "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded":
                incoming[name, default: []].append(field.value)
            default:
                outgoing.headers.add(name: field.name.rawName, value: field.value)
            }
        }
        // What a trusted proxy in front says is kept and extended; anyone else's is replaced.
        func previous(_ name: String) -> String? {
            fromTrustedProxy ? incoming[name].map { $0.joined(separator: ", ") } : nil
        }
        let clientHost = request.head.authority ?? target.authority
        let originalHost = previous("x-forwarded-host") ?? clientHost
        let proto = previous("x-forwarded-proto") ?? (secureCookies ? "https" : "http")
        outgoing.headers.add(name: "Host", value: keepsHost ? clientHost : target.authority)
        outgoing.headers.add(name: "X-Forwarded-For", value: previous("x-forwarded-for").map { "\($0), \(client)" } ?? client)
        outgoing.headers.add(name: "X-Forwarded-Proto", value: proto)
        outgoing.headers.add(name: "X-Forwarded-Host", value: originalHost)
        let forwardedFor = client.contains(":") ? "\"[\(client)]\"" : client
        let element = "for=\(forwardedFor);host=\"\(clientHost)\";proto=\(secureCookies ? "https" : "http")"
        outgoing.headers.add(name: "Forwarded", value: previous("forwarded").map { "\($0), \(element)" } ?? element)

        let length = request.headers[.contentLength].flatMap { Int($0) }
        if length.map({ $0 > 0 }) ?? (request.headers[.transferEncoding] != nil) {
            let body = WatchedBody(base: request.body, onEnd: sent.fire)
            outgoing.body = .stream(body, length: length.map { .known(Int64($0)) } ?? .unknown)
        } else {
            sent.fire()
        }
        return outgoing
    }

    /// The upstream's response as the browser gets it (before the tracking middleware).
    private func response(from upstream: HTTPClientResponse, for request: Request) -> Response {
        var headers = HTTPFields()
        let connectionTokens = ProxyHeaders.connectionTokens(upstream.headers["Connection"])
        for (name, value) in upstream.headers {
            let lowered = name.lowercased()
            guard !ProxyHeaders.hopByHop.contains(lowered), !connectionTokens.contains(lowered), let fieldName = HTTPField.Name(name) else {
                continue
            }
            headers.append(HTTPField(name: fieldName, value: value))
        }
        if let location = headers[.location] {
            headers[.location] = Self.localLocation(location, authority: target.authority, basePath: target.basePath)
        }
        let isHTML = headers[.contentType]?.lowercased().hasPrefix("text/html") == true
        if !trustsUpstreamIdentity {
            headers[.clickTrackerUser] = nil
        } else if let member = headers[.clickTrackerUser], request.method == .get, upstream.status == .ok, isHTML,
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
            // A response that sets a reader's cookie is that reader's alone.
            let caching = headers[.cacheControl]?.lowercased() ?? ""
            if !caching.contains("no-store"), !caching.contains("private") { headers[.cacheControl] = "private" }
        }
        let status = HTTPResponse.Status(code: Int(upstream.status.code), reasonPhrase: upstream.status.reasonPhrase)
        let hasNoBody = request.method == .head || status == .noContent || status == .notModified || status.kind == .informational
        let length = headers[.contentLength].flatMap { Int($0) }
        // No body: framing headers stay exactly as the upstream sent them.
        let body =
            hasNoBody
            ? ResponseBody(contentLength: nil) { writer in try await writer.finish(nil) }
            : ResponseBody(contentLength: length) { writer in
                for try await buffer in upstream.body {
                    try await writer.write(buffer)
                }
                try await writer.finish(nil)
            }
        return Response(status: status, headers: headers, body: body)
    }

    /// A redirect to the upstream's own address, made relative so the browser stays on ClickTracker.
    ///
    /// Only when what follows the upstream's origin is a plain path: `//evil.example`, `/\\evil`
    /// or a path with a tab or line break (which browsers drop) would take the browser to another
    /// site, so such a location is passed on as the absolute URL it was.
    static func localLocation(_ location: String, authority: String, basePath: String) -> String {
        for scheme in ["http", "https"] {
            let origin = "\(scheme)://\(authority)\(basePath)"
            if location == origin { return "/" }
            if location.hasPrefix(origin + "/") || location.hasPrefix(origin + "?") {
                let rest = location.dropFirst(origin.count)
                let local = rest.hasPrefix("?") ? "/" + rest : String(rest)
                return AuthController.localPath(local) == local ? local : location
            }
        }
        return location
    }

    private func failure(_ status: HTTPResponse.Status, _ text: String, context: Context) -> Response {
        context.clickTracker.ignore()
        var response = pages.page("message", ["heading": status.reasonPhrase, "text": text], context: context, status: status)
        // The proxy's own pages come before NoSniffMiddleware.
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }
}
