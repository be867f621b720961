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
    /// Whether ClickTracker's own signed-in users are readers too (the built-in site), or only
    /// the identities above (in front of an upstream).
    let sessionUsersAreReaders: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        context.sessionUserIsReader = sessionUsersAreReaders
        if let header {
            if isTrusted(context.remoteAddress) {
                if let value = request.headers[header], (1...256).contains(value.utf8.count) { context.forwardedMember = value }
            } else {
                // Also `X-Forwarded_User` and other spellings that CGI-style servers read as the same header.
                let wanted = ProxyHeaders.normalised(header.canonicalName)
                var head = request.head
                let spellings = Set(head.headerFields.map(\.name).filter { ProxyHeaders.normalised($0.canonicalName) == wanted })
                if !spellings.isEmpty {
                    for name in spellings { head.headerFields[name] = nil }
                    request = Request(head: head, body: request.body)
                }
            }
        }
        let path = request.uri.path
        if context.forwardedMember == nil, path.hasPrefix(prefix + "/"), let cookie = request.cookieValue(ReaderCookie.name) {
            context.forwardedMember = readerCookie.member(from: cookie)
        }
        return try await next(request, context)
    }

    private func isTrusted(_ address: SocketAddress?) -> Bool {
        guard let ip = address?.ipAddress else { return false }
        return trustedAddresses.contains(ip)
    }
}
