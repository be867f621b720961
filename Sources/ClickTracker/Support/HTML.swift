/// HTML escaping for text and attribute values.
public enum HTML {
    /// Escapes `& < > " '` so the result is safe in element text and in quoted attributes.
    public static func escape(_ string: some StringProtocol) -> String {
        var result = ""
        result.reserveCapacity(string.utf8.count)
        for character in string.unicodeScalars {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }
}
