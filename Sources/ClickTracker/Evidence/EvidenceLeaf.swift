/// One line of an evidence log entry: a row's key and its digest as recorded, or its removal.
///
/// Written as `<kind> <key> <digest>`, `-` in place of the digest for a row removed (by
/// retention or a purge); lines end with a newline. Only keys and digests: no personal data.
public struct EvidenceLeaf: Sendable, Hashable {
    /// What the row is evidence of.
    public var kind: EvidenceRow.Kind
    /// The row's key (see ``EvidenceRow/key``).
    public var key: String
    /// The row's digest, `nil` for a removal.
    public var digest: String?

    /// Creates a leaf.
    public init(kind: EvidenceRow.Kind, key: String, digest: String?) {
        self.kind = kind
        self.key = key
        self.digest = digest
    }

    /// The leaf recording `row` as it is.
    public init(_ row: EvidenceRow) {
        self.init(kind: row.kind, key: row.key, digest: row.digest)
    }

    /// The text of `leaves`, one line each.
    public static func lines(_ leaves: some Sequence<EvidenceLeaf>) -> String {
        var text = ""
        for leaf in leaves { text += "\(leaf.kind.rawValue) \(leaf.key) \(leaf.digest ?? "-")\n" }
        return text
    }

    /// The leaves in an entry's text; `nil` when a line is not a leaf.
    public static func parse(_ text: String) -> [EvidenceLeaf]? {
        var leaves: [EvidenceLeaf] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let first = line.firstIndex(of: " "), let last = line.lastIndex(of: " "), first < last,
                let kind = EvidenceRow.Kind(rawValue: String(line[..<first]))
            else { return nil }
            let digest = String(line[line.index(after: last)...])
            guard digest == "-" || (digest.count == 64 && digest.allSatisfy(\.isHexDigit)) else { return nil }
            leaves.append(EvidenceLeaf(kind: kind, key: String(line[line.index(after: first)..<last]), digest: digest == "-" ? nil : digest))
        }
        return leaves
    }
}
