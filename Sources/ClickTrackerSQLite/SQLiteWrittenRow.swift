import SQLiteNIO

/// A row a statement on ``SQLiteWriteConnection`` returned.
struct SQLiteWrittenRow: Sendable {
    /// The result's column names, shared by its rows.
    var names: [String]
    var values: [SQLiteData]

    /// The value of the column named `name`, `nil` when there is none.
    func column(_ name: String) -> SQLiteData? {
        names.firstIndex(of: name).map { values[$0] }
    }
}

/// A row read by name, from the writer (``SQLiteWrittenRow``) or a reader (`SQLiteRow`).
protocol SQLiteNamedColumns {
    func column(_ name: String) -> SQLiteData?
}

extension SQLiteWrittenRow: SQLiteNamedColumns {}
extension SQLiteRow: SQLiteNamedColumns {}
