/// A normalised absolute path that names a section (a folder) or a document.
///
/// `/papers/`, `/papers` and `//papers` are the same section. A section contains itself and
/// everything below it at a `/` boundary: `/a` contains `/a/b` but never `/ab`.
public struct SectionPath: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Why a string is not a section path.
    public enum ValidationError: Error, Equatable, CustomStringConvertible {
        case notAbsolute
        case dotSegment
        case invalidCharacter

        public var description: String {
            switch self {
            case .notAbsolute: "a section path must start with '/'"
            case .dotSegment: "a section path may not contain '.' or '..' segments"
            case .invalidCharacter: "a section path may not contain '?', '#', '\\' or control characters"
            }
        }
    }

    /// The site root, `/`. It contains every path and cannot be marked.
    public static let root = SectionPath(normalized: "/")

    /// The normalised path: leading `/`, no empty segments, no trailing `/` (except the root).
    public let value: String

    private init(normalized: String) {
        self.value = normalized
    }

    /// Normalises and validates a path.
    /// - Parameter path: An absolute path such as `/papers/` or `/papers/budget.html`.
    public init(_ path: some StringProtocol) throws(ValidationError) {
        guard path.first == "/" else { throw .notAbsolute }
        if path.unicodeScalars.contains(where: { $0 == "?" || $0 == "#" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }) {
            throw .invalidCharacter
        }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." || segment == ".." { throw .dotSegment }
            segments.append(Substring(segment))
        }
        self.value = "/" + segments.joined(separator: "/")
    }

    /// `true` for the site root.
    public var isRoot: Bool { value == "/" }

    /// The segments of the path, outermost first.
    public var segments: [Substring] { value.split(separator: "/") }

    /// The enclosing section, `nil` for the root.
    public var parent: SectionPath? {
        guard !isRoot else { return nil }
        let segments = segments.dropLast()
        return SectionPath(normalized: "/" + segments.joined(separator: "/"))
    }

    /// `true` if `other` is this path or lies below it at a `/` boundary.
    public func contains(_ other: SectionPath) -> Bool {
        if isRoot || other.value == value { return true }
        return other.value.utf8.starts(with: value.utf8)
            && other.value.utf8.dropFirst(value.utf8.count).first == UInt8(ascii: "/")
    }

    public static func < (lhs: SectionPath, rhs: SectionPath) -> Bool { lhs.value < rhs.value }

    public var description: String { value }
}
