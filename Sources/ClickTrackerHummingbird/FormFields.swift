/// The fields of an `application/x-www-form-urlencoded` body; the first value of a name wins.
///
/// Parsed from the body's UTF-8 bytes: a name or value with a malformed `%` escape, or that is
/// not UTF-8 once decoded, is left out.
public struct FormFields: Sendable {
    private var fields: [String: String] = [:]

    /// Parses a form body.
    public init(_ body: String) {
        var rest = body.utf8[...]
        while !rest.isEmpty {
            let end = rest.firstIndex(of: UInt8(ascii: "&")) ?? rest.endIndex
            let pair = rest[..<end]
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            guard !pair.isEmpty else { continue }
            let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
            guard let name = Self.decode(pair[..<equals]), fields[name] == nil else { continue }
            let value = equals == pair.endIndex ? "" : Self.decode(pair[pair.index(after: equals)...])
            if let value { fields[name] = value }
        }
    }

    /// The value of a field, or `nil` if absent.
    public subscript(_ name: String) -> String? { fields[name] }

    private static func decode(_ part: Substring.UTF8View) -> String? {
        guard part.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(Substring(part)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(part.count)
        var index = part.startIndex
        while index < part.endIndex {
            let byte = part[index]
            index = part.index(after: index)
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index < part.endIndex, let high = hexValue(part[index]) else { return nil }
                index = part.index(after: index)
                guard index < part.endIndex, let low = hexValue(part[index]) else { return nil }
                index = part.index(after: index)
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
