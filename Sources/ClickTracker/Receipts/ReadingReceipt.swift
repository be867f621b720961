import Foundation

/// A signed receipt: a reading request's status as a JSON document (the payload), signed with
/// the server's Ed25519 key, checkable offline by anyone with the public key.
///
/// The file is a JSON object: `format` (`clicktracker-receipt/1`), `payload` (a string holding
/// the status document, signed as its exact UTF-8 bytes), and `signature` with `algorithm`
/// (`Ed25519`), `key_id`, `public_key` (32 bytes, base64) and `value` (base64). The payload names
/// the evidence log checkpoint it rests on, itself signed by the same key.
public struct ReadingReceipt: Sendable {
    /// The format this binary writes and reads.
    public static let format = "clicktracker-receipt/1"

    /// The signed status document.
    public let payload: String
    /// The id of the key it claims to be signed with.
    public let keyID: String
    /// The public key it carries.
    public let publicKey: String
    /// The signature, base64.
    public let signature: String

    /// Why a receipt does not verify, for people.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Signs `payload` with `key`.
    public init(signing payload: String, with key: EvidenceSigningKey) {
        self.payload = payload
        keyID = key.publicKey.id
        publicKey = key.publicKey.base64
        signature = key.signature(for: Data(payload.utf8)).base64EncodedString()
    }

    /// Reads a receipt file.
    public init(json data: Data) throws(Invalid) {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Invalid(description: "this is not a ClickTracker receipt: not a JSON object")
        }
        guard let format = object["format"] as? String, format == Self.format else {
            throw Invalid(description: "this is not a ClickTracker receipt in the format \(Self.format)")
        }
        guard let payload = object["payload"] as? String, let signature = object["signature"] as? [String: Any],
            signature["algorithm"] as? String == "Ed25519", let keyID = signature["key_id"] as? String,
            let publicKey = signature["public_key"] as? String, let value = signature["value"] as? String
        else { throw Invalid(description: "the receipt lacks its payload or its Ed25519 signature") }
        self.payload = payload
        self.keyID = keyID
        self.publicKey = publicKey
        self.signature = value
    }

    /// The receipt file: pretty-printed JSON.
    public var json: Data {
        let object: [String: Any] = [
            "format": Self.format,
            "payload": payload,
            "signature": ["algorithm": "Ed25519", "key_id": keyID, "public_key": publicKey, "value": signature],
        ]
        // A dictionary of strings always serialises.
        return try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// Checks the signature of the payload and of the checkpoint it names, with `trusted` (the
    /// site's published key) or, without it, with the key the receipt carries.
    /// - Returns: The payload, parsed.
    public func verify(with trusted: EvidencePublicKey?) throws(Invalid) -> [String: Any] {
        guard let carried = try? EvidencePublicKey(text: publicKey), carried.id == keyID else {
            throw Invalid(description: "the receipt's public key does not match its key id \(keyID)")
        }
        let key = trusted ?? carried
        guard key == carried else {
            throw Invalid(description: "the receipt is signed by key \(keyID), not by the key given (\(key.id))")
        }
        guard let signature = Data(base64Encoded: signature), key.isValidSignature(signature, for: Data(payload.utf8)) else {
            throw Invalid(description: "the signature does not match: the receipt was changed after it was signed, or not signed by key \(keyID)")
        }
        guard let document = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else {
            throw Invalid(description: "the signed payload is not a JSON object")
        }
        guard let log = document["evidence_log"] as? [String: Any], let checkpoint = log["checkpoint"],
            let data = try? JSONSerialization.data(withJSONObject: checkpoint),
            let decoded = try? JSONDecoder().decode(EvidenceCheckpoint.self, from: data)
        else { throw Invalid(description: "the receipt names no evidence log checkpoint") }
        guard decoded.isSigned(by: key) else {
            throw Invalid(description: "the evidence log checkpoint in the receipt is not signed by key \(keyID)")
        }
        return document
    }
}
