import ClickTracker
import Crypto
import Foundation

/// A value the server hands out and can trust when it comes back: `claims.mac`, both base64url,
/// the MAC an HMAC-SHA256 under a key used for nothing else.
struct SignedValue: Sendable {
    private let key: SymmetricKey

    init(key: SymmetricKey) {
        self.key = key
    }

    /// The claims, signed.
    func seal(_ claims: Data) -> String {
        let encoded = Base64URL.encode(claims)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(encoded.utf8), using: key)
        return "\(encoded).\(Base64URL.encode(mac))"
    }

    /// The claims of a value this key signed, or `nil` if it is forged, altered, malformed or
    /// longer than `maximumLength` bytes.
    func open(_ value: String, maximumLength: Int) -> Data? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard value.utf8.count < maximumLength, parts.count == 2, let mac = Base64URL.decode(parts[1]),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data(parts[0].utf8), using: key)
        else { return nil }
        return Base64URL.decode(parts[0])
    }
}
