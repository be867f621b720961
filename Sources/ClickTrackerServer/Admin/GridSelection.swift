import ClickTracker
import Hummingbird

/// Which readers a request page lists, and in which order: all of them or those at one stage
/// ("not read yet"), sorted by progress, name or documents read (`?show=…&sort=status|name|read&order=…`).
struct GridSelection {
    /// The readers shown.
    enum Show: String, CaseIterable {
        case all
        case notRead = "not-read"
        case notOpened = "not-opened"
        case opened
        case read

        var label: String {
            switch self {
            case .all: "Everyone"
            case .notRead: "Not read yet"
            case .notOpened: "Opened none"
            case .opened: "Opened some"
            case .read: "Read all"
            }
        }

        func includes(_ stage: ReadingStage) -> Bool {
            switch self {
            case .all: true
            case .notRead: stage < .read
            case .notOpened: stage == .notOpened
            case .opened: stage == .opened
            case .read: stage >= .read
            }
        }
    }

    let show: Show
    let sort: RequestOrder
    let descending: Bool

    /// The selection a page's URL asks for; anything unknown falls back to everyone, by progress.
    init(_ parameters: Parameters) {
        show = parameters["show"].flatMap { Show(rawValue: String($0)) } ?? .all
        sort = parameters["sort"].flatMap { RequestOrder(rawValue: String($0)) } ?? .status
        descending = parameters["order"] == "desc"
    }

    /// The grid's rows this selection lists, in its order (as `clicktracker report request --sort`).
    func rows(of grid: RequestGrid) -> [RequestGrid.Row] {
        grid.rows(by: sort, descending: descending).filter { show.includes($0.progress.stage) }
    }

    /// The query of this selection (after `?`), for links that keep it.
    var query: String {
        "show=\(show.rawValue)&sort=\(sort.rawValue)&order=\(descending ? "desc" : "asc")"
    }

    /// The links to each filter, with how many readers each lists; the current one marked.
    func filters(_ grid: RequestGrid, base: String) -> [[String: Any]] {
        Show.allCases.map { filter in
            let count = grid.rows.count { filter.includes($0.progress.stage) }
            let query = "show=\(filter.rawValue)&sort=\(sort.rawValue)&order=\(descending ? "desc" : "asc")"
            return ["label": filter.label, "count": count, "url": "\(base)?\(query)#readers", "isCurrent": filter == show]
        }
    }

    /// A sortable column header's values (as ``ReportTable`` makes them): a click sorts by it, a
    /// second click reverses the order.
    func column(_ column: RequestOrder, label: String, base: String) -> [String: Any] {
        let isCurrent = column == sort
        let order = isCurrent && !descending ? "desc" : "asc"
        return [
            "label": label,
            "url": "\(base)?show=\(show.rawValue)&sort=\(column.rawValue)&order=\(order)#readers",
            "arrow": isCurrent ? (descending ? " ▼" : " ▲") : "",
            "ariaSort": isCurrent ? (descending ? "descending" : "ascending") : false,
        ]
    }
}
