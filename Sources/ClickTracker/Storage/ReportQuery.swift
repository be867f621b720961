import Foundation

/// A column a report can be sorted by.
public protocol ReportOrder: RawRepresentable<String>, Sendable, Hashable, CaseIterable {
    /// The result column the SQL stores sort by.
    var sqlColumn: String { get }
    /// Result columns that break ties, in order.
    static var sqlTieBreakers: [String] { get }
    /// The order a report starts in.
    static var first: Self { get }
}

/// One value of a report row's ordering key (the ordering column, then the tie-breakers), to
/// continue a report after that row.
public enum ReportKey: Sendable, Hashable {
    case text(String)
    case integer(Int)
    case time(Date)
}

/// What to read from a report: a section, an ordering and one page.
public struct ReportQuery<Column: ReportOrder>: Sendable, Hashable {
    /// The columns this report sorts by.
    public typealias Order = Column

    /// Documents at or below this section (at a `/` boundary).
    public var section: SectionPath
    /// Ordering column.
    public var order: Order
    /// `true` for descending order.
    public var descending: Bool
    /// Rows per page.
    public var limit: Int
    /// Rows to skip.
    public var offset: Int
    /// Only this member's rows, when set (a person's history).
    public var member: String?
    /// Whether the page's `total` must count the rows of all pages; a store may leave it `0`
    /// otherwise (a long export counts once, with its first page).
    public var countsTotal: Bool
    /// When set, the page starts after the row with this key (a page's ``AccessLogPage/next``)
    /// instead of at ``offset``: a long export reads each row once, however far it has got.
    public var after: [ReportKey]?

    /// Creates a query.
    public init(
        section: SectionPath,
        member: String? = nil,
        order: Order = .first,
        descending: Bool = false,
        limit: Int = 20,
        offset: Int = 0,
        countsTotal: Bool = true
    ) {
        self.section = section
        self.member = member
        self.order = order
        self.descending = descending
        self.limit = max(1, limit)
        self.offset = max(0, offset)
        self.countsTotal = countsTotal
    }

    /// The same query for another page: `limit` rows from `offset` (or after the key `after`),
    /// counting all rows or not.
    public func page(offset: Int, limit: Int, countsTotal: Bool, after: [ReportKey]? = nil) -> ReportQuery {
        var page = self
        page.offset = max(0, offset)
        page.limit = max(1, limit)
        page.countsTotal = countsTotal
        page.after = after
        return page
    }

    /// The columns of the ordering key: the ordering column, then the tie-breakers.
    public var keyColumns: [String] { [order.sqlColumn] + Order.sqlTieBreakers }

    /// The `ORDER BY` list the SQL stores use: the column, then the tie-breakers, all in the
    /// same direction. Built only from the enumeration, never from input.
    public var sqlOrderBy: String {
        let direction = descending ? "DESC" : "ASC"
        // A tie-breaker that is the ordering column itself is left out: SQLite then sees that an
        // index in that order gives the order.
        let tieBreakers = Order.sqlTieBreakers.filter { $0 != order.sqlColumn }
        return ([order.sqlColumn] + tieBreakers).map { "\($0) \(direction)" }.joined(separator: ", ")
    }
}
