import Foundation

/// The fields of an `application/x-www-form-urlencoded` body; the first value of a name wins.
public struct FormFields: Sendable {
    private var fields: [String: String] = [:]

    /// Parses a form body.
    public init(_ body: String) {
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { continue }
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            if fields[name] == nil, let value { fields[name] = value }
        }
    }

    /// The value of a field, or `nil` if absent.
    public subscript(_ name: String) -> String? { fields[name] }

    private static func decode(_ part: Substring) -> String? {
        guard part.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(part) }
        return part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
