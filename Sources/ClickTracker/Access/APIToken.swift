import Crypto
import Foundation

/// A key for the JSON API, made and revoked by an administrator. Only a hash of the secret is
/// stored; the secret itself is shown once, when the token is made.
public struct APIToken: Sendable, Hashable, Identifiable {
    /// The store's id for the token (`0` before it is stored).
    public var id: Int64
    /// What the token is for, e.g. "board portal".
    public var name: String
    /// SHA-256 of the secret, hex.
    public var hash: String
    /// When it was made.
    public var createdAt: Date
    /// The administrator who made it.
    public var createdBy: String
    /// When it was revoked; a revoked token is refused.
    public var revokedAt: Date?

    /// Creates a token record.
    public init(id: Int64 = 0, name: String, hash: String, createdAt: Date, createdBy: String, revokedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.hash = hash
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.revokedAt = revokedAt
    }

    /// A new random secret (`ct_` and 256 random bits, base64url) and its hash.
    public static func generateSecret() -> (secret: String, hash: String) {
        var generator = SystemRandomNumberGenerator()
        let secret = "ct_" + Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        return (secret, hash(secret))
    }

    /// The hash under which a secret's token is stored.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Checks a token name: 1 to 100 characters, no control characters.
    public static func validate(name: String) -> String? {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(trimmed.count), !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        return trimmed
    }
}
