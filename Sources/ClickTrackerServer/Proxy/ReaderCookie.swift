import ClickTracker
import Foundation
import Synchronization

/// Remembers, for the collector, who the upstream said was reading: a signed cookie set on a
/// proxied page whose response named the reader (`ClickTracker-User`), sent back only to the
/// collector's paths with the page's beacon. Its key is separate from the session key, so it can
/// never be used as a ClickTracker session.
struct ReaderCookie: Sendable {
    static let name = "ct_reader"
    static let lifetime: TimeInterval = 12 * 3600

    private let signed: SignedValue
    private let minted = MintedValues()

    init(key: SecretKey) {
        self.signed = SignedValue(key: key.derived(for: "reader-cookie"))
    }

    /// The cookie value naming `member` until `lifetime` from `now`. A value minted for the same
    /// member in the last minute is used again (each proxied page of a reader sets the cookie),
    /// so it may end up to a minute sooner.
    func value(for member: String, now: Date = Date()) -> String {
        if let known = minted.values.withLock({ $0[member] }), now.timeIntervalSince(known.at) < 60, known.at <= now {
            return known.value
        }
        let expiry = Int(now.addingTimeInterval(Self.lifetime).timeIntervalSince1970)
        let value = signed.seal(Data("\(expiry)\n\(member)".utf8))
        minted.values.withLock { values in
            if values.count >= 10_000 { values.removeAll() }
            values[member] = (value, now)
        }
        return value
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

/// Reader cookie values by member, with the time each was minted.
private final class MintedValues: Sendable {
    let values = Mutex<[String: (value: String, at: Date)]>([:])
}
