import Crypto
import Foundation

/// An endpoint's signing secret (`whsec_` and base64 of 32 random bytes, as Standard Webhooks
/// writes it), kept in the store sealed with a key derived from the server's secret, so that a
/// copy of the database alone cannot sign messages.
public struct WebhookSecret: Sendable {
    /// The secret's bytes, the HMAC key.
    public let bytes: Data

    /// The secret as shown once to the administrator.
    public var text: String { "whsec_" + bytes.base64EncodedString() }

    /// A new random secret.
    public static func generate() -> WebhookSecret {
        WebhookSecret(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }

    private init(bytes: Data) {
        self.bytes = bytes
    }

    /// The secret sealed with `key`, as the store keeps it (base64).
    public func sealed(with key: SecretKey) throws -> String {
        try ChaChaPoly.seal(bytes, using: key.derived(for: Self.purpose)).combined.base64EncodedString()
    }

    /// Opens a sealed secret; `nil` when it was sealed with another server key or is damaged.
    public static func open(_ sealed: String, with key: SecretKey) -> WebhookSecret? {
        guard let combined = Data(base64Encoded: sealed), let box = try? ChaChaPoly.SealedBox(combined: combined),
            let bytes = try? ChaChaPoly.open(box, using: key.derived(for: purpose))
        else { return nil }
        return WebhookSecret(bytes: bytes)
    }

    /// The `webhook-signature` header of a message: `v1,` and base64 of HMAC-SHA256 over
    /// `id.timestamp.body` (Standard Webhooks).
    /// - Parameters:
    ///   - id: The `webhook-id`.
    ///   - timestamp: The `webhook-timestamp`, in seconds since 1970.
    ///   - body: The exact bytes posted.
    public func signature(id: String, timestamp: Int, body: Data) -> String {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: bytes))
        hmac.update(data: Data("\(id).\(timestamp).".utf8))
        hmac.update(data: body)
        return "v1," + Data(hmac.finalize()).base64EncodedString()
    }

    private static let purpose = "webhook-secret"
}
