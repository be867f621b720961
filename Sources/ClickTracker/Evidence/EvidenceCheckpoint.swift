import Foundation

/// A signed statement of the evidence log's head: "the first `size` entries chain to `head`",
/// signed with the server's Ed25519 key. Anyone with the public key can check it, and any change
/// to a sealed entry afterwards breaks the chain below it.
public struct EvidenceCheckpoint: Sendable, Hashable, Codable {
    /// Entries covered.
    public var size: Int64
    /// The chain value of entry `size`.
    public var head: String
    /// When it was signed, in milliseconds since 1970.
    public var at: Int64
    /// The signing key's id (see ``EvidencePublicKey/id``).
    public var keyID: String
    /// The Ed25519 signature of ``signedText``, base64.
    public var signature: String

    private enum CodingKeys: String, CodingKey {
        case size, head, at
        case keyID = "key_id"
        case signature
    }

    /// The first line of every checkpoint's signed text.
    public static let origin = "ClickTracker evidence log"

    /// What is signed: the origin, the key id, the size, the head and the time, each on its own
    /// line and each followed by a newline, in UTF-8.
    public var signedText: String {
        Self.signedText(size: size, head: head, at: at, keyID: keyID)
    }

    static func signedText(size: Int64, head: String, at: Int64, keyID: String) -> String {
        "\(origin)\n\(keyID)\n\(size)\n\(head)\n\(at)\n"
    }

    /// Signs a checkpoint of `head` at `time`.
    public static func sign(_ head: EvidenceHead, at time: Date, with key: EvidenceSigningKey) -> EvidenceCheckpoint {
        let at = Int64((time.timeIntervalSince1970 * 1000).rounded(.down))
        let text = signedText(size: head.size, head: head.chain, at: at, keyID: key.publicKey.id)
        return EvidenceCheckpoint(
            size: head.size,
            head: head.chain,
            at: at,
            keyID: key.publicKey.id,
            signature: key.signature(for: Data(text.utf8)).base64EncodedString()
        )
    }

    /// Creates a checkpoint as stored.
    public init(size: Int64, head: String, at: Int64, keyID: String, signature: String) {
        self.size = size
        self.head = head
        self.at = at
        self.keyID = keyID
        self.signature = signature
    }

    /// Whether `key` signed this checkpoint.
    public func isSigned(by key: EvidencePublicKey) -> Bool {
        guard keyID == key.id, let signature = Data(base64Encoded: signature) else { return false }
        return key.isValidSignature(signature, for: Data(signedText.utf8))
    }

    /// When it was signed.
    public var date: Date { Date(timeIntervalSince1970: Double(at) / 1000) }
}
