/// Splits an SQL script into statements at `;`, ignoring semicolons inside quotes, dollar-quoted
/// bodies (`$$ … $$`, `$tag$ … $tag$`) and `--` comments, as psql does.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var characters = Substring(script)
        func flush() {
            let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !statement.isEmpty { statements.append(statement) }
            current = ""
        }
        while let character = characters.first {
            if character == "-", characters.dropFirst().first == "-" {
                let comment = characters.prefix { $0 != "\n" }
                characters = characters.dropFirst(comment.count)
                continue
            }
            if character == "'" || character == "\"" {
                let end = characters.dropFirst().firstIndex(of: character) ?? characters.endIndex
                let quoted = characters[..<(end == characters.endIndex ? end : characters.index(after: end))]
                current += quoted
                characters = characters[quoted.endIndex...]
                continue
            }
            if character == "$", let tagEnd = characters.dropFirst().firstIndex(of: "$"),
                characters[characters.index(after: characters.startIndex)..<tagEnd].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
            {
                let tag = characters[...tagEnd]
                let body = characters[characters.index(after: tagEnd)...]
                let close = body.range(of: tag)?.upperBound ?? characters.endIndex
                current += characters[..<close]
                characters = characters[close...]
                continue
            }
            if character == ";" {
                flush()
            } else {
                current.append(character)
            }
            characters = characters.dropFirst()
        }
        flush()
        return statements
    }
}
