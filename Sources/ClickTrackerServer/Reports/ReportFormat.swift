/// How a report is written.
public enum ReportFormat: String, Sendable, CaseIterable {
    /// An aligned text table, for a terminal.
    case table
    /// Comma-separated values with a header row (RFC 4180, CRLF line ends).
    case csv
    /// One JSON object: what the report is about, its `columns`, its `rows` (objects keyed by
    /// column) and the `total` number of rows.
    case json

    /// The media type of a download in this format.
    var contentType: String {
        switch self {
        case .table: "text/plain; charset=utf-8"
        case .csv: "text/csv; charset=utf-8"
        case .json: "application/json"
        }
    }
}
