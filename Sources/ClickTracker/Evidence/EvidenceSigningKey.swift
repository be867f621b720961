import Crypto
import Foundation

/// The server's Ed25519 key for checkpoints and receipts, derived from the server secret: every
/// instance sharing the secret signs with the same key, and there is no second file to lose.
public struct EvidenceSigningKey: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    /// The signing key of a server secret.
    public init(secret: SecretKey) {
        let seed = secret.derived(for: "evidence-signing").withUnsafeBytes { Data($0) }
        // 32 bytes always make an Ed25519 key.
        key = try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    /// The key others verify with.
    public var publicKey: EvidencePublicKey { EvidencePublicKey(key.publicKey) }

    /// The Ed25519 signature of `data`.
    public func signature(for data: Data) -> Data {
        // Signing with a valid key does not fail.
        try! key.signature(for: data)
    }
}

/// The public half of ``EvidenceSigningKey``, as served at `/_clicktracker/evidence/key` (PEM) and
/// named in checkpoints and receipts by its id.
public struct EvidencePublicKey: Sendable, Hashable {
    fileprivate let key: Curve25519.Signing.PublicKey

    fileprivate init(_ key: Curve25519.Signing.PublicKey) {
        self.key = key
    }

    /// Why a public key could not be read.
    public struct FormatError: Error, CustomStringConvertible {
        public var description: String {
            "not an Ed25519 public key: expected a PEM file (-----BEGIN PUBLIC KEY-----) or 32 bytes in base64"
        }
    }

    /// Reads a key from PEM (as served) or from its 32 raw bytes in base64.
    public init(text: String) throws(FormatError) {
        let body = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix("-----") && !$0.isEmpty }
        guard let bytes = Data(base64Encoded: body.joined()) else { throw FormatError() }
        let raw: Data
        if bytes.count == Self.spkiPrefix.count + 32, bytes.prefix(Self.spkiPrefix.count) == Self.spkiPrefix {
            raw = bytes.dropFirst(Self.spkiPrefix.count)
        } else if bytes.count == 32 {
            raw = bytes
        } else {
            throw FormatError()
        }
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { throw FormatError() }
        self.key = key
    }

    /// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the 32 key bytes.
    private static let spkiPrefix = Data([0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00])

    /// The 32 key bytes, base64.
    public var base64: String { key.rawRepresentation.base64EncodedString() }

    /// The key's id: the first 16 hex digits of the SHA-256 of its 32 bytes.
    public var id: String { String(SHA256.hash(data: key.rawRepresentation).hexString.prefix(16)) }

    /// The key as a PEM SubjectPublicKeyInfo, which `openssl pkeyutl -verify` reads.
    public var pem: String {
        let der = Self.spkiPrefix + key.rawRepresentation
        return "-----BEGIN PUBLIC KEY-----\n\(der.base64EncodedString())\n-----END PUBLIC KEY-----\n"
    }

    /// Whether `signature` is this key's Ed25519 signature of `data`.
    public func isValidSignature(_ signature: Data, for data: Data) -> Bool {
        key.isValidSignature(signature, for: data)
    }

    public static func == (lhs: EvidencePublicKey, rhs: EvidencePublicKey) -> Bool {
        lhs.key.rawRepresentation == rhs.key.rawRepresentation
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(key.rawRepresentation)
    }
}
