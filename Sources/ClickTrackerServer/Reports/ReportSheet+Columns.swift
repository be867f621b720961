extension ReportSheet {
    /// A column name the sheet does not have.
    public struct UnknownColumn: Error, CustomStringConvertible {
        /// The name asked for.
        public let name: String
        /// The sheet's kind.
        public let kind: String
        /// The names there are.
        public let columns: [String]

        public var description: String {
            "the \(kind) report has no column '\(name)'; choose from \(columns.joined(separator: ", "))"
        }
    }

    /// The same report with only the columns `names`, in that order.
    /// - Parameter names: Column names of this sheet.
    /// - Throws: ``UnknownColumn`` for a name the sheet does not have.
    public func selecting(_ names: [String]) throws(UnknownColumn) -> ReportSheet {
        var indices: [Int] = []
        for name in names {
            guard let index = columns.firstIndex(of: name) else { throw UnknownColumn(name: name, kind: kind, columns: columns) }
            indices.append(index)
        }
        let read = self.read
        let chosen = indices
        return ReportSheet(kind: kind, about: about, columns: names) { offset, limit, countsTotal, after in
            var chunk = try await read(offset, limit, countsTotal, after)
            chunk.rows = chunk.rows.map { row in chosen.map { row[$0] } }
            return chunk
        }
    }
}
