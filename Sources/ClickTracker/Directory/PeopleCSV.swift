/// Reads and writes lists of people as CSV (RFC 4180): a header row naming the columns `user`
/// (or `member`, `id`), `name` and `email` in any order, then one person a row.
public enum PeopleCSV {
    /// Why a CSV file was refused; nothing was changed.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// The most people one file may list.
    public static let maximumRows = 100_000

    /// The people in a CSV text; a member listed twice is kept once, with their last row's details.
    public static func parse(_ text: String) throws(Invalid) -> [Person] {
        let rows = try records(text)
        guard let header = rows.first else { throw Invalid(description: "the file is empty; expected a header row: user,name,email") }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let user = names.firstIndex(where: { ["user", "member", "id"].contains($0) }) else {
            throw Invalid(description: "the header row has no user column; expected: user,name,email")
        }
        let name = names.firstIndex { ["name", "display name", "display_name"].contains($0) }
        let email = names.firstIndex(of: "email")
        guard rows.count - 1 <= maximumRows else { throw Invalid(description: "the file lists more than \(maximumRows) people") }
        var people: [Person] = []
        var positions: [String: Int] = [:]
        for (offset, row) in rows.dropFirst().enumerated() {
            let line = offset + 2
            if row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            func field(_ index: Int?) -> String? {
                guard let index, index < row.count else { return nil }
                return row[index].trimmingCharacters(in: .whitespaces)
            }
            guard let member = field(user), !member.isEmpty else { throw Invalid(description: "row \(line) has no user") }
            guard member.utf8.count <= 256, !member.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw Invalid(description: "row \(line): the user id must be at most 256 bytes, without control characters")
            }
            let person = Person(
                member: member,
                displayName: field(name).map { String($0.prefix(200)) },
                email: field(email).map { String($0.prefix(320)) }
            )
            if let position = positions[member] {
                people[position] = person
            } else {
                positions[member] = people.count
                people.append(person)
            }
        }
        return people
    }

    /// The people as CSV with a header row. A value that a spreadsheet would run as a formula
    /// (starting with `=`, `+`, `-`, `@`, tab or carriage return) is prefixed with `'`.
    public static func write(_ people: [Person]) -> String {
        var text = "user,name,email\r\n"
        for person in people {
            text += [person.member, person.displayName ?? "", person.email ?? ""].map(field).joined(separator: ",") + "\r\n"
        }
        return text
    }

    /// One CSV field, quoted when it needs to be and defused against formula injection.
    public static func field(_ value: String) -> String {
        var value = value
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { value = "'" + value }
        // By scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
        guard value.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Splits CSV text into records of fields (quoted fields may hold commas, quotes and line breaks).
    static func records(_ text: String) throws(Invalid) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var characters = Array(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" {
                        field.append("\"")
                        characters.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where field.isEmpty: quoted = true
            case ",":
                record.append(field)
                field = ""
            case "\n", "\r\n", "\r":
                record.append(field)
                records.append(record)
                record = []
                field = ""
                line += 1
            default: field.append(character)
            }
        }
        if quoted { throw Invalid(description: "a quoted field that starts on or before line \(line) is never closed") }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }
}
