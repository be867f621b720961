import Foundation

/// What to read from the access log: a section, an ordering and one page.
public struct AccessLogQuery: Sendable, Hashable {
    /// The column the access log is ordered by.
    public enum Order: String, Sendable, CaseIterable {
        case member
        case url
        case count
        case firstAccess = "first"
        case lastAccess = "last"
    }

    /// Reads under this section (the document itself or anything below it at a `/` boundary).
    public var section: SectionPath
    /// Ordering column.
    public var order: Order
    /// `true` for descending order.
    public var descending: Bool
    /// Rows per page.
    public var limit: Int
    /// Rows to skip.
    public var offset: Int

    /// The `ORDER BY` list the SQL stores use, over result columns named `member`, `url`,
    /// `count`, `first_access` and `last_access`; member and URL break ties. Built only from the
    /// enumeration, never from input.
    public var sqlOrderBy: String {
        let column =
            switch order {
            case .member: "member"
            case .url: "url"
            case .count: "count"
            case .firstAccess: "first_access"
            case .lastAccess: "last_access"
            }
        let direction = descending ? "DESC" : "ASC"
        return "\(column) \(direction), member \(direction), url \(direction)"
    }

    /// Creates a query.
    public init(
        section: SectionPath,
        order: Order = .member,
        descending: Bool = false,
        limit: Int = 20,
        offset: Int = 0
    ) {
        self.section = section
        self.order = order
        self.descending = descending
        self.limit = max(1, limit)
        self.offset = max(0, offset)
    }
}

/// One row of the access log: a member's reads of one URL.
public struct AccessLogEntry: Sendable, Hashable {
    /// The member who read.
    public var member: String
    /// The URL read.
    public var url: String
    /// The document's title, if known.
    public var title: String?
    /// How many distinct renders the member viewed.
    public var count: Int
    /// First view (UTC).
    public var firstAccess: Date
    /// Last view (UTC).
    public var lastAccess: Date

    /// Creates an entry.
    public init(member: String, url: String, title: String?, count: Int, firstAccess: Date, lastAccess: Date) {
        self.member = member
        self.url = url
        self.title = title
        self.count = count
        self.firstAccess = firstAccess
        self.lastAccess = lastAccess
    }
}

/// One page of the access log and the number of rows in all pages.
public struct AccessLogPage: Sendable, Hashable {
    /// The rows of this page.
    public var entries: [AccessLogEntry]
    /// Rows in the whole log for the section.
    public var total: Int

    /// Creates a page.
    public init(entries: [AccessLogEntry], total: Int) {
        self.entries = entries
        self.total = total
    }
}
