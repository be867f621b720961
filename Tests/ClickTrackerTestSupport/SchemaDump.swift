/// Compares the schemas of two databases by their `pg_dump --schema-only` (see
/// ``PostgresServer/pgDump(port:database:)``), after a normalisation that removes only what does
/// not describe the schema, or cannot be the same in a database migrated in place:
///
/// - blank lines, and comment lines (`-- Name: …; Type: …`, which only repeat the statement
///   after them, and the dump's header);
/// - the session settings at the start (`SET …`, `SELECT pg_catalog.set_config(…)`);
/// - `\restrict` and `\unrestrict`, whose key is new in every dump (pg_dump 17.6, 16.10, 15.14
///   and later);
/// - the order of the column lines of each `CREATE TABLE`, and the comma after each: a column
///   added by `ALTER TABLE … ADD COLUMN` comes last, and PostgreSQL cannot reorder columns
///   without rewriting the table.
///
/// Everything else — types, collations, defaults, `NOT NULL`, constraints and their names,
/// indexes, sequences and their owners, functions — must be equal line for line.
public enum SchemaDump {
    /// The lines of `dump`, normalised.
    public static func normalised(_ dump: String) -> [String] {
        var lines: [String] = []
        // The column lines of the CREATE TABLE being read, if any.
        var table: [String]?
        for line in dump.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if var columns = table {
                if line == ");" {
                    lines += columns.sorted()
                    lines.append(line)
                    table = nil
                } else {
                    columns.append(line.hasSuffix(",") ? String(line.dropLast()) : line)
                    table = columns
                }
                continue
            }
            if line.allSatisfy(\.isWhitespace) || line.hasPrefix("--") || line.hasPrefix("SET ")
                || line.hasPrefix("SELECT pg_catalog.set_config(") || line.hasPrefix("\\restrict ")
                || line.hasPrefix("\\unrestrict ")
            {
                continue
            }
            lines.append(line)
            if line.hasPrefix("CREATE TABLE "), line.hasSuffix(" (") {
                table = []
            }
        }
        return lines
    }

    /// The lines only in `expected` (`-`) and only in `actual` (`+`), each with its line number,
    /// for a failure message.
    public static func difference(from expected: [String], to actual: [String]) -> String {
        let changes = actual.difference(from: expected)
        var report: [String] = []
        for case .remove(let offset, let line, _) in changes.removals {
            report.append("- \(offset + 1): \(line)")
        }
        for case .insert(let offset, let line, _) in changes.insertions {
            report.append("+ \(offset + 1): \(line)")
        }
        return report.joined(separator: "\n")
    }
}
