import Foundation

/// What to read from the access log: a section, an ordering and one page.
public typealias AccessLogQuery = ReportQuery<AccessLogOrder>

/// The columns the access log sorts by; member, URL and document break ties.
public enum AccessLogOrder: String, ReportOrder {
    case member
    case url
    case count
    case firstAccess = "first"
    case lastAccess = "last"

    public static var first: Self { .member }
    public static var sqlTieBreakers: [String] { ["member", "url", "document_id"] }

    /// Over result columns named `member`, `url`, `count`, `first_access` and `last_access`.
    public var sqlColumn: String {
        switch self {
        case .member: "member"
        case .url: "url"
        case .count: "count"
        case .firstAccess: "first_access"
        case .lastAccess: "last_access"
        }
    }
}

/// One row of the access log: a member's reads of one document at one URL.
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
    /// The key of the last row, to read on after it (``ReportQuery/after``); `nil` when empty.
    public var next: [ReportKey]?

    /// Creates a page.
    public init(entries: [AccessLogEntry], total: Int, next: [ReportKey]? = nil) {
        self.entries = entries
        self.total = total
        self.next = next
    }
}
