/// Turns a sheet into text in one format, piece by piece: the head, chunks of rows, the tail.
struct ReportEncoder {
    let format: ReportFormat
    let sheet: ReportSheet
    /// Column widths of a text table, fixed by the header and the first chunk.
    private var widths: [Int] = []
    private var rowsWritten = 0
    private var total = 0
    /// The column names as JSON object keys, made once.
    private let jsonKeys: [String]

    init(format: ReportFormat, sheet: ReportSheet) {
        self.format = format
        self.sheet = sheet
        jsonKeys = sheet.columns.map { ReportCell.jsonString($0) + ":" }
    }

    mutating func head(total: Int) -> String {
        self.total = total
        switch format {
        case .csv:
            return sheet.columns.map(ReportCell.text).map(\.csvField).joined(separator: ",") + "\r\n"
        case .json:
            let about = [("report", ReportCell.text(sheet.kind))] + sheet.about + [("total", .integer(total))]
            let members = about.map { "\(ReportCell.jsonString($0.0)):\($0.1.json)" }
            let columns = sheet.columns.map(ReportCell.jsonString).joined(separator: ",")
            return "{" + members.joined(separator: ",") + ",\"columns\":[\(columns)],\"rows\":["
        case .table:
            let about = sheet.about.filter { $0.1 != .text(nil) && $0.1 != .time(nil) }
            return about.map { "\($0.0): \(Self.oneLine($0.1.plainText))" }.joined(separator: "\n") + (about.isEmpty ? "" : "\n\n")
        }
    }

    mutating func rows(_ rows: [[ReportCell]]) -> String {
        defer { rowsWritten += rows.count }
        switch format {
        case .csv:
            return rows.map { $0.map(\.csvField).joined(separator: ",") + "\r\n" }.joined()
        case .json:
            return rows.enumerated().map { index, row in
                let members = zip(jsonKeys, row).map { $0 + $1.json }
                return (rowsWritten + index == 0 ? "" : ",") + "{" + members.joined(separator: ",") + "}"
            }.joined()
        case .table:
            let text = rows.map { $0.map { Self.oneLine($0.plainText) } }
            var head = ""
            if widths.isEmpty {
                widths = sheet.columns.enumerated().map { index, column in
                    min(40, text.reduce(column.count) { max($0, $1[index].count) })
                }
                head = line(sheet.columns) + line(widths.map { String(repeating: "-", count: $0) })
            }
            return head + text.map(line).joined()
        }
    }

    func tail() -> String {
        switch format {
        case .csv: ""
        case .json: "]}\n"
        case .table: "\n\(rowsWritten) of \(total) rows\n"
        }
    }

    private func line(_ values: [String]) -> String {
        zip(values, widths).map { value, width in value.padding(toLength: max(width, value.count), withPad: " ", startingAt: 0) }
            .joined(separator: "  ").replacing(/\ +$/, with: "") + "\n"
    }

    /// A value as one line of plain text: line breaks, tabs and other control characters (which
    /// could break the table or drive the terminal) become spaces.
    private static func oneLine(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            result.append(scalar.properties.generalCategory == .control ? " " : scalar)
        }
        return String(result)
    }
}
