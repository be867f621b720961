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
        var text = CanonicalText(tag: "view")
        text.append(id)
        text.append(renderID)
        text.append(member)
        text.append(documentID)
        text.append(url)
        text.append(issuedAt)
        text.append(viewedAt)
        text.append(version)
        text.append(words.map(Int64.init))
        text.append(activeMilliseconds)
        text.append(Int64(maximumScroll))
        text.append(reachedEnd)
        text.append(automated)
        text.append(reportSequence)
        text.append(reportedAt)
        text.append(finished)
        return EvidenceRow(kind: .view, key: String(id), digest: text.digest)
    }

    /// An acknowledgement's evidence: who confirmed reading which version of which document,
    /// when, from which render.
    public static func acknowledgement(renderID: String, member: String, documentID: Int64, version: String, at: Int64) -> EvidenceRow {
        var text = CanonicalText(tag: "acknowledgement")
        text.append(renderID)
        text.append(member)
        text.append(documentID)
        text.append(version)
        text.append(at)
        return EvidenceRow(kind: .acknowledgement, key: renderID, digest: text.digest)
    }
}

/// A canonical text being written (see ``EvidenceRow``), as UTF-8 bytes.
struct CanonicalText {
    private(set) var bytes: [UInt8] = []

    init(tag: String) {
        bytes.reserveCapacity(256)
        bytes += tag.utf8
        bytes.append(UInt8(ascii: "\n"))
    }

    mutating func append(_ value: String?) {
        guard let value else {
            bytes += [UInt8(ascii: "-"), UInt8(ascii: "\n")]
            return
        }
        let utf8 = value.utf8
        bytes += String(utf8.count).utf8
        bytes.append(UInt8(ascii: ":"))
        bytes += utf8
        bytes.append(UInt8(ascii: "\n"))
    }

    mutating func append(_ value: Int64?) {
        append(value.map { String($0) })
    }

    mutating func append(_ flag: Bool) {
        bytes += [UInt8(ascii: "1"), UInt8(ascii: ":"), UInt8(ascii: flag ? "1" : "0"), UInt8(ascii: "\n")]
    }

    /// The SHA-256 of the text, lowercase hex.
    var digest: String { SHA256.hash(data: bytes).hexString }
}

extension Sequence where Element == UInt8 {
    /// The bytes as lowercase hex.
    public var hexString: String {
        let digits: StaticString = "0123456789abcdef"
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        digits.withUTF8Buffer { digits in
            for byte in self {
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
