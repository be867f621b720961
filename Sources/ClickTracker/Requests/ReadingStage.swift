/// How far a reader had got with a document (or with all of a request's documents), weakest first.
public enum ReadingStage: String, Sendable, Hashable, Comparable, CaseIterable, Codable {
    case notOpened = "not opened"
    case opened
    case read
    case acknowledged

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    public static func < (lhs: ReadingStage, rhs: ReadingStage) -> Bool { lhs.rank < rhs.rank }
}
