import ClickTracker
import Crypto
import Foundation

/// Remembers, for the collector, who the upstream said was reading: a signed cookie set on a
/// proxied page whose response named the reader (`ClickTracker-User`), sent back only to the
/// collector's paths with the page's beacon. Its key is separate from the session key, so it can
/// never be used as a ClickTracker session.
struct ReaderCookie: Sendable {
    static let name = "ct_reader"
    static let lifetime: TimeInterval = 12 * 3600

    private let key: SymmetricKey

    init(key: SecretKey) {
        self.key = key.derived(for: "reader-cookie")
    }

    /// The cookie value naming `member` until `lifetime` from `now`.
    func value(for member: String, now: Date = Date()) -> String {
        let expiry = Int(now.addingTimeInterval(Self.lifetime).timeIntervalSince1970)
        let claims = Base64URL.encode(Data("\(expiry)\n\(member)".utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(claims.utf8), using: key)
        return "\(claims).\(Base64URL.encode(mac))"
    }

    /// The member a cookie names, or `nil` if it is forged, altered or expired.
    func member(from value: String, now: Date = Date()) -> String? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard value.utf8.count < 1024, parts.count == 2, let mac = Base64URL.decode(parts[1]),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data(parts[0].utf8), using: key),
            let claims = Base64URL.decode(parts[0]).map({ String(decoding: $0, as: UTF8.self) }),
            let newline = claims.firstIndex(of: "\n"),
            let expiry = Int(claims[..<newline]), Double(expiry) > now.timeIntervalSince1970
        else { return nil }
        let member = String(claims[claims.index(after: newline)...])
        return member.isEmpty ? nil : member
    }
}
