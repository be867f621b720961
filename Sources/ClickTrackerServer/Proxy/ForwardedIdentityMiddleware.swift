import HTTPTypes
import Hummingbird
import NIOCore

/// Who is reading, in front of an existing site, from the server side only:
/// - the trusted identity header (such as `X-Forwarded-User`) set by an authenticating proxy,
///   accepted only from the configured addresses and removed from every other request, so a
///   browser cannot claim to be someone;
/// - or, on ClickTracker's own paths only, the reader cookie the proxy set when the upstream
///   named the reader of a page (`ClickTracker-User`), which the collector needs for that
///   page's beacon.
struct ForwardedIdentityMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext

    let header: HTTPField.Name?
    let trustedAddresses: Set<String>
    let readerCookie: ReaderCookie
    let prefix: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        if let header, request.headers[header] != nil {
            if isTrusted(context.remoteAddress), let value = request.headers[header], (1...256).contains(value.utf8.count) {
                context.forwardedMember = value
            } else {
                var head = request.head
                head.headerFields[header] = nil
                request = Request(head: head, body: request.body)
            }
        }
        let path = request.uri.path
        if context.forwardedMember == nil, path.hasPrefix(prefix + "/"), let cookie = request.cookies[ReaderCookie.name] {
            context.forwardedMember = readerCookie.member(from: cookie.value)
        }
        return try await next(request, context)
    }

    private func isTrusted(_ address: SocketAddress?) -> Bool {
        guard let ip = address?.ipAddress else { return false }
        return trustedAddresses.contains(ip)
    }
}
