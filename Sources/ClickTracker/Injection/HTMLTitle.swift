/// Reads the `<title>` of an HTML document, for reports.
public enum HTMLTitle {
    /// How far into a document its title is looked for.
    public static let searchedBytes = 64 * 1024

    /// The text of the first `<title>` element in the first 64 KiB, entities for `& < > " '` decoded,
    /// white space collapsed; `nil` if there is none (or its end is not among the bytes yet).
    public static func extract(from bytes: some Collection<UInt8>) -> String? {
        // Only the title's own bytes become a string: the page around it is searched as bytes.
        let head = Array(bytes.prefix(searchedBytes))
        guard let open = find(titleOpen, in: head, from: 0),
            let openEnd = head[(open + titleOpen.count)...].firstIndex(of: UInt8(ascii: ">")),
            let close = find(titleClose, in: head, from: openEnd)
        else { return nil }
        let raw = String(decoding: head[(openEnd + 1)..<close], as: UTF8.self)
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

    private static let titleOpen = Array("<title".utf8)
    private static let titleClose = Array("</title".utf8)

    /// Where `pattern` (lowercase ASCII, starting with `<`) first is in `bytes` at or after
    /// `start`, in any case; candidates are found with `memchr`.
    static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        assert(pattern.first == UInt8(ascii: "<"), "the first byte is matched exactly")
        guard bytes.count >= pattern.count, start <= bytes.count - pattern.count else { return nil }
        let last = bytes.count - pattern.count
        return bytes.withUnsafeBufferPointer { buffer -> Int? in
            var index = start
            while index <= last, let found = buffer.firstOffset(of: pattern[0], from: index), found <= last {
                index = found
                if (1..<pattern.count).allSatisfy({ lowercased(buffer[index + $0]) == pattern[$0] }) { return index }
                index += 1
            }
            return nil
        }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}
