/// Reads the `<title>` of an HTML document, for reports.
public enum HTMLTitle {
    /// How far into a document its title is looked for.
    public static let searchedBytes = 64 * 1024

    /// The text of the first `<title>` element in the first 64 KiB, entities for `& < > " '` decoded,
    /// white space collapsed; `nil` if there is none (or its end is not among the bytes yet).
    public static func extract(from bytes: some Collection<UInt8>) -> String? {
        let head = String(decoding: bytes.prefix(searchedBytes), as: UTF8.self)
        guard let open = head.range(of: "<title", options: .caseInsensitive),
            let openEnd = head[open.upperBound...].firstIndex(of: ">"),
            let close = head[openEnd...].range(of: "</title", options: .caseInsensitive)
        else { return nil }
        let raw = head[head.index(after: openEnd)..<close.lowerBound]
        let text = raw.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            .replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
        // At most 300 characters and 600 bytes: the title travels in the view token.
        var kept = 0
        let title = text.prefix { character in
            kept += character.utf8.count
            return kept <= 600
        }.prefix(300)
        return title.isEmpty ? nil : String(title)
    }
}
