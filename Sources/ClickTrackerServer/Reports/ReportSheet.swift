import ClickTracker
import Foundation

/// A report as an export: named columns and typed rows, read from the store in chunks so that
/// a long report streams with bounded memory. The CSV and JSON downloads, the JSON API and
/// `clicktracker report` write the same sheet.
public struct ReportSheet: Sendable {
    /// One chunk of rows and the number of rows in the whole report.
    public struct Chunk: Sendable {
        /// The rows read, each with a cell per column.
        public var rows: [[ReportCell]]
        /// Rows in the whole report.
        public var total: Int
        /// The key to read on after this chunk's last row, when the store gives one.
        public var next: [ReportKey]?

        /// Creates a chunk.
        public init(rows: [[ReportCell]], total: Int, next: [ReportKey]? = nil) {
            self.rows = rows
            self.total = total
            self.next = next
        }
    }

    /// The report's kind, e.g. `access-log` (also the stem of a download's file name).
    public let kind: String
    /// What the report is about (section, member, request…), written before the rows in JSON.
    public let about: [(String, ReportCell)]
    /// The column names, in order.
    public let columns: [String]
    /// The columns a text table shows unless others are chosen: the few that fit a terminal.
    public let terminalColumns: [String]
    /// Reads at most `limit` rows from `offset` (or after the key `after`, the previous chunk's
    /// `next`), counting all rows when asked.
    let read: @Sendable (_ offset: Int, _ limit: Int, _ countsTotal: Bool, _ after: [ReportKey]?) async throws -> Chunk

    /// Creates a sheet.
    /// - Parameters:
    ///   - kind: The report's kind.
    ///   - about: What the report is about.
    ///   - columns: The column names, in order.
    ///   - terminalColumns: The columns a text table shows by default (`nil`: all).
    ///   - read: Reads a chunk of rows (see ``read``).
    public init(
        kind: String,
        about: [(String, ReportCell)],
        columns: [String],
        terminalColumns: [String]? = nil,
        read: @escaping @Sendable (_ offset: Int, _ limit: Int, _ countsTotal: Bool, _ after: [ReportKey]?) async throws -> Chunk
    ) {
        self.kind = kind
        self.about = about
        self.columns = columns
        self.terminalColumns = terminalColumns ?? columns
        self.read = read
    }

    /// A sheet over rows already in memory.
    public init(kind: String, about: [(String, ReportCell)], columns: [String], rows: [[ReportCell]]) {
        self.init(kind: kind, about: about, columns: columns) { offset, limit, _, _ in
            Chunk(rows: Array(rows.dropFirst(offset).prefix(limit)), total: rows.count)
        }
    }

    /// Rows of the first read from the store: the first bytes go out quickly.
    public static let chunkSize = 1000
    /// The most rows of one read: reads grow (doubling) up to this while a long report streams,
    /// each continuing after the last row read.
    static let largestChunk = 100_000

    /// Reads the first chunk of rows `offset ..< offset + limit` (all rows from `offset` when
    /// there is no limit), so that a failing store is noticed before anything is written.
    public func start(offset: Int = 0, limit: Int? = nil) async throws -> ReportStream {
        let end = limit.map { offset + max(0, $0) } ?? Int.max
        let first = try await read(offset, max(1, min(Self.chunkSize, end - offset)), true, nil)
        return ReportStream(sheet: self, first: first, offset: offset, end: end)
    }
}
