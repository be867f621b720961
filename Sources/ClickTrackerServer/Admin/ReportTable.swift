import ClickTracker
import Hummingbird

/// One sortable, paged table on a report page: reads its query from the page's URL and makes
/// the column headers and pager links. Two tables on one page tell their parameters apart by a
/// prefix (`sort`, `order`, `page`, or `readers-sort`, …).
struct ReportTable<Order: ReportOrder> {
    /// The page's URL without this table's parameters.
    let base: String
    /// Prefix of this table's query parameters.
    let prefix: String
    let query: ReportQuery<Order>

    /// Reads the table's ordering and page from the request's query parameters.
    init(_ parameters: Parameters, prefix: String = "", section: SectionPath, pageSize: Int, base: String, member: String? = nil) {
        let page = min(max(1, parameters["\(prefix)page"].flatMap { Int(String($0)) } ?? 1), 1_000_000)
        self.base = base
        self.prefix = prefix
        self.query = ReportQuery(
            section: section,
            member: member,
            order: parameters["\(prefix)sort"].flatMap { Order(rawValue: String($0)) } ?? .first,
            descending: parameters["\(prefix)order"] == "desc",
            limit: pageSize,
            offset: (page - 1) * pageSize
        )
    }

    private func url(_ order: Order, descending: Bool) -> String {
        "\(base)&\(prefix)sort=\(order.rawValue)&\(prefix)order=\(descending ? "desc" : "asc")"
    }

    /// Column headers: a click sorts by the column, a second click reverses the order.
    func columns(_ labels: [(Order, String)]) -> [[String: Any]] {
        labels.map { column, label in
            let isCurrent = column == query.order
            return [
                "key": column.rawValue,
                "label": label,
                "url": url(column, descending: isCurrent ? !query.descending : false),
                "arrow": isCurrent ? (query.descending ? " ▼" : " ▲") : "",
                "ariaSort": isCurrent ? (query.descending ? "descending" : "ascending") : false,
            ]
        }
    }

    /// Links to the whole table, in its current order, as CSV and JSON (`csvURL`, `jsonURL`).
    func downloads(report: String? = nil) -> [String: Any] {
        let order = url(query.order, descending: query.descending) + (report.map { "&report=\($0)" } ?? "")
        return ["csvURL": "\(order)&format=csv", "jsonURL": "\(order)&format=json"]
    }

    /// "Rows 21–40 of 95" and the links to the previous and next pages, as template values.
    func pager(rows: Int, total: Int) -> [String: Any] {
        let page = query.offset / query.limit + 1
        let pageURL = { (page: Int) in "\(url(query.order, descending: query.descending))&\(prefix)page=\(page)" }
        // An empty table says so in its body (and what to do), not as "Rows 0–0 of 0".
        var values: [String: Any] = ["range": total == 0 ? "" : "Rows \(query.offset + 1)–\(query.offset + rows) of \(total)"]
        if page > 1 { values["previous"] = pageURL(page - 1) }
        if query.offset + rows < total { values["next"] = pageURL(page + 1) }
        return values
    }
}
