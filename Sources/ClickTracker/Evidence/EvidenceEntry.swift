import Crypto
import Foundation

/// One entry of the evidence log: what one committed batch recorded (or what retention or a
/// purge removed), appended in the same transaction, and chained to the entries before it once
/// sealed.
public struct EvidenceEntry: Sendable, Hashable {
    /// What wrote the entry.
    public enum Kind: String, Sendable {
        /// A batch of views, reports and acknowledgements.
        case record
        /// Views removed by the retention period.
        case retention
        /// Everything kept about one member, removed on request.
        case purge
        /// The rows a database held when the log began (its upgrade to schema version 10).
        case adopted
    }

    /// The entry's row id, in the order entries were written.
    public var id: Int64
    /// When it was written, in milliseconds since 1970.
    public var at: Int64
    /// What wrote it (one of ``Kind``, kept as written).
    public var kind: String
    /// Its leaves' text (see ``EvidenceLeaf``).
    public var leaves: String
    /// Its place in the chain (1 for the first), once sealed.
    public var position: Int64?
    /// Its chain value, once sealed (see ``chainValue(after:)``).
    public var chain: String?

    /// Creates an entry.
    public init(id: Int64, at: Int64, kind: String, leaves: String, position: Int64? = nil, chain: String? = nil) {
        self.id = id
        self.at = at
        self.kind = kind
        self.leaves = leaves
        self.position = position
        self.chain = chain
    }

    /// The chain value before the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// This entry's chain value at `position`, after an entry whose chain value is `previous`: the
    /// SHA-256, in lowercase hex, of the previous value (``genesis`` for the first entry), the
    /// position, the time and the kind, each followed by a newline, then the leaves.
    public func chainValue(after previous: String, position: Int64) -> String {
        let text = "\(previous)\n\(position)\n\(at)\n\(kind)\n\(leaves)"
        return SHA256.hash(data: Data(text.utf8)).hexString
    }
}

/// The sealed end of the evidence log: how many entries are chained and the last one's value.
public struct EvidenceHead: Sendable, Hashable {
    /// Entries sealed (the last one's position).
    public var size: Int64
    /// The last sealed entry's chain value (``EvidenceEntry/genesis`` when none).
    public var chain: String

    /// Creates a head.
    public init(size: Int64, chain: String) {
        self.size = size
        self.chain = chain
    }

    /// The head of an empty log.
    public static let empty = EvidenceHead(size: 0, chain: EvidenceEntry.genesis)
}
