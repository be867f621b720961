import Foundation

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
        case tooLong
        case invalidEncoding

        public var description: String {
            switch self {
            case .tooLong: "a section path may be at most \(SectionPath.maximumLength) bytes long"
            case .invalidEncoding: "the path's percent-encoding is invalid"
            case .notAbsolute: "a section path must start with '/'"
            case .dotSegment: "a section path may not contain '.' or '..' segments"
            case .invalidCharacter: "a section path may not contain '?', '#', '\\' or control characters"
            }
        }
    }

    /// The longest path accepted, in UTF-8 bytes.
    public static let maximumLength = 1024

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
        guard path.utf8.count <= Self.maximumLength else { throw .tooLong }
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

    /// Decodes the percent-encoded path of a request URL, then normalises and validates it, so
    /// `/%70apers//a%2Ehtml` and `/papers/a.html` are the same page.
    /// - Parameter urlPath: The path of a request URL, as sent.
    public init(urlPath: some StringProtocol) throws(ValidationError) {
        guard let decoded = String(urlPath).removingPercentEncoding else { throw .invalidEncoding }
        try self.init(decoded)
    }

    /// The path percent-encoded for use in a URL (`/`, letters, digits and `-._~!$&'()*+,;=:@` stay).
    public var urlEncoded: String {
        value.addingPercentEncoding(withAllowedCharacters: Self.urlPathCharacters) ?? "/"
    }

    private static let urlPathCharacters = CharacterSet(charactersIn: "/-._~!$&'()*+,;=:@")
        .union(CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))

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
