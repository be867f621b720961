import ClickTracker
import Foundation

/// Remembers, for the collector, who the upstream said was reading: a signed cookie set on a
/// proxied page whose response named the reader (`ClickTracker-User`), sent back only to the
/// collector's paths with the page's beacon. Its key is separate from the session key, so it can
/// never be used as a ClickTracker session.
struct ReaderCookie: Sendable {
    static let name = "ct_reader"
    static let lifetime: TimeInterval = 12 * 3600

    private let signed: SignedValue

    init(key: SecretKey) {
        self.signed = SignedValue(key: key.derived(for: "reader-cookie"))
    }

    /// The cookie value naming `member` until `lifetime` from `now`.
    func value(for member: String, now: Date = Date()) -> String {
        let expiry = Int(now.addingTimeInterval(Self.lifetime).timeIntervalSince1970)
        return signed.seal(Data("\(expiry)\n\(member)".utf8))
    }

    /// The member a cookie names, or `nil` if it is forged, altered or expired.
    func member(from value: String, now: Date = Date()) -> String? {
        guard let claims = signed.open(value, maximumLength: 1024).map({ String(decoding: $0, as: UTF8.self) }),
            let newline = claims.firstIndex(of: "\n"),
            let expiry = Int(claims[..<newline]), Double(expiry) > now.timeIntervalSince1970
        else { return nil }
        let member = String(claims[claims.index(after: newline)...])
        return member.isEmpty ? nil : member
    }
}
