import ClickTracker
import Foundation

/// One value in a report row, typed so that JSON keeps numbers, flags and times apart from text.
public enum ReportCell: Sendable, Hashable {
    /// Text, or nothing (`null` in JSON, empty in CSV).
    case text(String?)
    /// A whole number.
    case integer(Int)
    /// Yes or no.
    case flag(Bool)
    /// An instant (ISO 8601 in UTC), or none.
    case time(Date?)

    /// The value as a CSV field (times in ISO 8601 UTC, flags as yes/no), defused against
    /// spreadsheet formulas and quoted where needed.
    var csvField: String {
        PeopleCSV.field(plainText)
    }

    /// The value as plain text, for CSV and terminal tables.
    var plainText: String {
        switch self {
        case .text(let text): text ?? ""
        case .integer(let number): String(number)
        case .flag(let flag): flag ? "yes" : "no"
        case .time(let date): date.map(Self.iso8601) ?? ""
        }
    }

    /// The value as a JSON value.
    var json: String {
        switch self {
        case .text(nil), .time(nil): "null"
        case .text(let text?): Self.jsonString(text)
        case .integer(let number): String(number)
        case .flag(let flag): flag ? "true" : "false"
        case .time(let date?): Self.jsonString(Self.iso8601(date))
        }
    }

    /// `2026-12-03T09:00:00Z` (whole seconds, UTC), written directly: an export writes millions.
    static func iso8601(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = [UInt8]()
        text.reserveCapacity(20)
        func append(_ value: Int32, digits: Int) {
            var divisor: Int32 = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8((value / divisor) % 10))
                divisor /= 10
            }
        }
        append(parts.tm_year + 1900, digits: 4)
        text.append(UInt8(ascii: "-"))
        append(parts.tm_mon + 1, digits: 2)
        text.append(UInt8(ascii: "-"))
        append(parts.tm_mday, digits: 2)
        text.append(UInt8(ascii: "T"))
        append(parts.tm_hour, digits: 2)
        text.append(UInt8(ascii: ":"))
        append(parts.tm_min, digits: 2)
        text.append(UInt8(ascii: ":"))
        append(parts.tm_sec, digits: 2)
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// A JSON string literal; control characters, quotes, backslashes and the characters that
    /// could end a `<script>` element are escaped.
    static func jsonString(_ text: String) -> String {
        // Most values need no escape: copied whole (0xE2 leads U+2028 and U+2029, and others).
        let needsEscape = text.utf8.contains { byte in
            byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
                || byte == UInt8(ascii: "&") || byte == 0xE2
        }
        guard needsEscape else { return "\"" + text + "\"" }
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}": result += String(format: "\\u%04x", scalar.value)
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
