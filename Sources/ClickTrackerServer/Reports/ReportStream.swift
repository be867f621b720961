/// A report being written: its first chunk is read, the rest is read while writing.
public struct ReportStream: Sendable {
    let sheet: ReportSheet
    let first: ReportSheet.Chunk
    /// The first row written and the row after the last one asked for.
    let offset: Int
    let end: Int

    /// Rows this stream writes.
    public var count: Int { max(0, min(first.total, end) - offset) }

    /// Writes the report in `format`, chunk by chunk; `progress` hears the rows written so far
    /// and how many will be.
    public func write(
        _ format: ReportFormat,
        progress: (_ written: Int, _ count: Int) -> Void = { _, _ in },
        to output: (String) async throws -> Void
    ) async throws {
        var encoder = ReportEncoder(format: format, sheet: sheet)
        try await output(encoder.head(total: first.total))
        var chunk = first
        var chunkSize = ReportSheet.chunkSize
        var position = offset
        var written = 0
        while true {
            let rows = chunk.rows.prefix(count - written)
            try await output(encoder.rows(Array(rows)))
            written += rows.count
            position += rows.count
            progress(written, count)
            guard !rows.isEmpty, written < count else { break }
            chunkSize = min(chunkSize * 2, ReportSheet.largestChunk)
            chunk = try await sheet.read(position, min(chunkSize, end - position), false, chunk.next)
        }
        try await output(encoder.tail())
    }
}
