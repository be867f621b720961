import Foundation

/// Checks a JSON configuration file before it is read: valid JSON (or where it is not, by line
/// and column), only known settings, each of the right type. A misspelt key or a port given as
/// text would otherwise be ignored without a word.
enum ConfigFileCheck {
    /// What a setting holds.
    indirect enum Kind {
        case text
        case wholeNumber
        case number
        case flag
        case texts
        case group([String: Kind])

        var description: String {
            switch self {
            case .text: "text in quotes"
            case .wholeNumber: "a whole number"
            case .number: "a number"
            case .flag: "true or false"
            case .texts: "a list of texts in quotes"
            case .group: "a group of settings in { }"
            }
        }
    }

    /// Every setting the configuration file may hold (see the README's table).
    static let settings: [String: Kind] = [
        "host": .text, "port": .wholeNumber, "site": .text, "users": .text, "database": .text, "spool": .text,
        "postgres": .group(["dsn": .text]),
        "key": .group(["file": .text, "secret": .text]),
        "collector": .group(["path": .text]),
        "sections": .group(["initial": .texts, "ignore": .texts]),
        "cookies": .group(["secure": .flag]),
        "token": .group(["lifetime": .number]),
        "attention": .group(["idle": .wholeNumber, "heartbeat": .wholeNumber]),
        "retention": .group(["days": .wholeNumber, "everything": .flag]),
        "upstream": .group(["url": .text, "timeout": .number, "host": .text]),
        "identity": .group(["header": .text, "trusted": .texts, "upstream": .flag]),
        "limits": .group(["header_timeout": .number, "body_timeout": .number, "idle_timeout": .number, "connections": .wholeNumber]),
        "mail": .group([
            "from": .text, "site_url": .text, "sendmail": .texts,
            "smtp": .group(["host": .text, "port": .wholeNumber, "username": .text, "password": .text, "tls": .flag, "ca_file": .text]),
        ]),
        "webhooks": .group(["retry_base": .number, "timeout": .number]),
        "requests": .group(["check_interval": .number]),
    ]

    /// Reads and checks the file at `path`.
    static func check(_ path: String) throws(ConfigurationError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isFolder: ObjCBool = false
            let reason =
                access(path, R_OK) != 0
                ? String(cString: strerror(errno))
                : FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue ? "it is a folder" : "it cannot be read"
            throw .invalid("cannot read \(path): \(reason)")
        }
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .invalid("\(path)\(Self.location(of: error, in: data)): this is not valid JSON (is a comma, a quote or a brace missing?)")
        }
        guard let settings = root as? [String: Any] else { throw .invalid("\(path) must hold one JSON object: { \"port\": 8080, … }") }
        try check(settings, against: Self.settings, prefix: "", file: path)
    }

    private static func check(_ values: [String: Any], against kinds: [String: Kind], prefix: String, file: String) throws(ConfigurationError) {
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            let name = prefix + key
            guard let kind = kinds[key] else {
                let known = kinds.keys.sorted()
                let guess = known.min { distance(key, $0) < distance(key, $1) }.flatMap { distance(key, $0) <= 2 ? $0 : nil }
                throw .invalid(
                    "\(file): there is no setting \"\(name)\""
                        + (guess.map { "; did you mean \"\(prefix + $0)\"?" }
                            ?? "; the settings here are \(known.map { prefix + $0 }.joined(separator: ", "))")
                )
            }
            if case .group(let inner) = kind {
                guard let group = value as? [String: Any] else { throw wrongType(name, kind, value, file: file) }
                try check(group, against: inner, prefix: name + ".", file: file)
            } else if !matches(value, kind) {
                throw wrongType(name, kind, value, file: file)
            }
        }
    }

    private static func matches(_ value: Any, _ kind: Kind) -> Bool {
        let number = value as? NSNumber
        let isFlag = number.map { String(cString: $0.objCType) == "c" } ?? false
        switch kind {
        case .text: return value is String
        case .flag: return isFlag
        case .number: return number != nil && !isFlag
        case .wholeNumber: return number != nil && !isFlag && number!.doubleValue.rounded() == number!.doubleValue
        case .texts: return (value as? [Any])?.allSatisfy { $0 is String } ?? false
        case .group: return value is [String: Any]
        }
    }

    private static func wrongType(_ name: String, _ kind: Kind, _ value: Any, file: String) -> ConfigurationError {
        let shown = value is String ? "\"\(value)\"" : value is NSNull ? "null" : "\(value)"
        return .invalid("\(file): \"\(name)\" must be \(kind.description), not \(shown)")
    }

    /// ", line 4, column 3" from the parser's "around character 34", or nothing.
    private static func location(of error: any Error, in data: Data) -> String {
        let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
        guard let range = detail.range(of: #"character \d+"#, options: .regularExpression),
            let offset = Int(detail[range].dropFirst("character ".count))
        else { return "" }
        var line = 1
        var column = 1
        for byte in data.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return ", line \(line), column \(column)"
    }

    /// Edit distance, for suggesting the setting a misspelt key meant.
    private static func distance(_ a: String, _ b: String) -> Int {
        let (a, b) = (Array(a), Array(b))
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var diagonal = row[0]
            row[0] = i
            for j in 1...b.count {
                let above = row[j]
                row[j] = min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1))
                diagonal = above
            }
        }
        return row[b.count]
    }
}
