/// HTML escaping for text and attribute values.
public enum HTML {
    /// Escapes `& < > " '` so the result is safe in element text and in quoted attributes.
    public static func escape(_ string: some StringProtocol) -> String {
        escape(String(string))
    }

    /// Escapes `& < > " '` so the result is safe in element text and in quoted attributes.
    public static func escape(_ string: String) -> String {
        // Most values need nothing escaped: they are copied whole.
        guard string.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else {
            return string
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(string.utf8.count + 16)
        for byte in string.utf8 {
            switch byte {
            case 0x26: bytes += "&amp;".utf8
            case 0x3C: bytes += "&lt;".utf8
            case 0x3E: bytes += "&gt;".utf8
            case 0x22: bytes += "&quot;".utf8
            case 0x27: bytes += "&#39;".utf8
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
