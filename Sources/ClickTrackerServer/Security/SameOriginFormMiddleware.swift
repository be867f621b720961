import HTTPTypes
import Hummingbird

/// Refuses a form post to ClickTracker's own paths that a browser says came from another site
/// (`Origin` naming another host, or `Sec-Fetch-Site: cross-site`): a second line behind the
/// CSRF token. `Origin: null` (sent under `Referrer-Policy: no-referrer`) and requests without
/// these headers (older browsers, scripts) are left to the CSRF token. Bearer-token API calls
/// are not forms and are not affected.
struct SameOriginFormMiddleware<Context: RequestContext>: RouterMiddleware {
    /// ClickTracker's own paths (the collector path).
    let prefix: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, request.uri.path.hasPrefix(prefix + "/"),
            Self.isFormBody(request.headers[.contentType]), Self.isCrossSite(request)
        else {
            return try await next(request, context)
        }
        throw HTTPError(
            .forbidden,
            message: "This form was sent from another web site, so it was refused. Open the page on this site and send it again."
        )
    }

    /// Content types a browser may post across sites without asking first.
    static func isFormBody(_ contentType: String?) -> Bool {
        let type = (contentType ?? "").lowercased()
        return type.isEmpty || ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"].contains { type.hasPrefix($0) }
    }

    static func isCrossSite(_ request: Request) -> Bool {
        if request.headers[.secFetchSite]?.lowercased() == "cross-site" { return true }
        guard let origin = request.headers[.origin], origin != "null" else { return false }
        guard let authority = request.head.authority else { return true }
        let originAuthority = origin.split(separator: "://", maxSplits: 1).last.map(String.init) ?? origin
        return normalised(originAuthority) != normalised(authority)
    }

    /// A host and port, lowercased, without the default ports.
    private static func normalised(_ authority: String) -> String {
        var value = authority.lowercased()
        for port in [":80", ":443"] where value.hasSuffix(port) { value.removeLast(port.count) }
        return value
    }
}

extension HTTPField.Name {
    /// `Sec-Fetch-Site`.
    static let secFetchSite = Self("Sec-Fetch-Site")!
}
