import HTTPTypes

/// The header rules of the reverse proxy, as pure functions.
enum ProxyHeaders {
    /// Headers that describe one connection, never forwarded (RFC 9110 §7.6.1).
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade",
    ]

    /// ClickTracker's own cookies, which the upstream never sees.
    static let ownCookies: Set<String> = [SessionSigner.cookieName, SessionSigner.loginCookieName, ReaderCookie.name]

    /// The lower-cased names listed in `Connection` headers (also hop-by-hop).
    static func connectionTokens(_ values: [String]) -> Set<String> {
        if values.isEmpty { return [] }
        return Set(values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
    }

    /// A header name as CGI-style servers read it: `X-Forwarded_User` and `x-forwarded-user` are one.
    static func normalised(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: "_", with: "-")
    }

    /// A `Cookie` header without ClickTracker's own cookies, or `nil` if nothing is left.
    static func withoutOwnCookies(_ header: String) -> String? {
        let kept = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { pair in
            !pair.isEmpty && !ownCookies.contains(String(pair.prefix { $0 != "=" }))
        }
        return kept.isEmpty ? nil : kept.joined(separator: "; ")
    }

    /// Whether an `Accept-Encoding` value accepts gzip (by name or `*`, with a q-value above 0).
    static func acceptsGzip(_ value: String) -> Bool {
        var gzip: Double?
        var any: Double?
        for item in value.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if coding == "gzip" || coding == "x-gzip" { gzip = quality }
            if coding == "*" { any = quality }
        }
        return (gzip ?? any ?? 0) > 0
    }

    /// `true` if a request path has a `.` or `..` segment, plain or percent-encoded.
    static func hasDotSegment(_ path: String) -> Bool {
        // Without a `.` or a `%` (which may encode one) there is no dot segment to find.
        guard path.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "%") }) else { return false }
        let decoded = path.removingPercentEncoding ?? path
        return decoded.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == ".." || $0 == "." }
    }
}
