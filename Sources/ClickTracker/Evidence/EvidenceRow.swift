import Crypto
import Foundation

/// The canonical form of one piece of recorded evidence — a render's `view` row or an
/// acknowledgement — and its SHA-256, as kept in the evidence log.
///
/// The text hashed is a tag line (`view` or `acknowledgement`) followed by each field on its own
/// line as `<bytes>:<value>` (the value's UTF-8 length in bytes, a colon, the value), or `-` for
/// a missing value. Numbers are written in decimal, times as milliseconds since 1970, flags as
/// `1` or `0`. Both stores write the same text (PostgreSQL computes it in SQL), so a log moved
/// between them still verifies.
public struct EvidenceRow: Sendable, Hashable {
    /// What the row is evidence of.
    public enum Kind: String, Sendable {
        /// A render's view row (its attention included); keyed by the row's id.
        case view = "v"
        /// An acknowledgement; keyed by the render it was made from.
        case acknowledgement = "a"
    }

    /// What the row is evidence of.
    public var kind: Kind
    /// The row's key: a view's id, an acknowledgement's render id.
    public var key: String
    /// The SHA-256 of the canonical text, lowercase hex.
    public var digest: String

    /// A view row's evidence.
    public static func view(
        id: Int64,
        renderID: String,
        member: String,
        documentID: Int64,
        url: String,
        issuedAt: Int64,
        viewedAt: Int64,
        version: String?,
        words: Int?,
        activeMilliseconds: Int64,
        maximumScroll: Int,
        reachedEnd: Bool,
        automated: Bool,
        reportSequence: Int64,
        reportedAt: Int64,
        finished: Bool
    ) -> EvidenceRow {
        let fields: [String?] = [
            String(id), renderID, member, String(documentID), url, String(issuedAt), String(viewedAt), version, words.map(String.init),
            String(activeMilliseconds), String(maximumScroll), reachedEnd ? "1" : "0", automated ? "1" : "0", String(reportSequence),
            String(reportedAt), finished ? "1" : "0",
        ]
        return EvidenceRow(kind: .view, key: String(id), digest: digest(tag: "view", fields))
    }

    /// An acknowledgement's evidence: who confirmed reading which version of which document,
    /// when, from which render.
    public static func acknowledgement(renderID: String, member: String, documentID: Int64, version: String, at: Int64) -> EvidenceRow {
        let fields: [String?] = [renderID, member, String(documentID), version, String(at)]
        return EvidenceRow(kind: .acknowledgement, key: renderID, digest: digest(tag: "acknowledgement", fields))
    }

    /// The canonical text of `fields` under `tag`.
    static func canonical(tag: String, _ fields: [String?]) -> String {
        var text = tag + "\n"
        for field in fields {
            if let field { text += "\(field.utf8.count):\(field)\n" } else { text += "-\n" }
        }
        return text
    }

    private static func digest(tag: String, _ fields: [String?]) -> String {
        SHA256.hash(data: Data(canonical(tag: tag, fields).utf8)).hexString
    }
}

extension Sequence where Element == UInt8 {
    /// The bytes as lowercase hex.
    public var hexString: String {
        var text = ""
        for byte in self {
            text += String(byte >> 4, radix: 16) + String(byte & 0x0F, radix: 16)
        }
        return text
    }
}
