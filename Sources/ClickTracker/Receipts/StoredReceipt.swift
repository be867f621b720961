import Foundation

/// A signed receipt of a reading request as kept by the store (see ``ReadingReceipt``).
public struct StoredReceipt: Sendable, Hashable, Identifiable {
    /// Why it was issued.
    public enum Reason: String, Sendable {
        /// The request's deadline passed: its status frozen then. One per request.
        case deadline
        /// Someone asked for one on the request's page or through the API.
        case onDemand = "on demand"
    }

    /// Its id (0 before it is stored).
    public var id: Int64
    /// The request it is a receipt of.
    public var requestID: Int64
    /// Why it was issued.
    public var reason: Reason
    /// When it was issued.
    public var issuedAt: Date
    /// Who asked for it (`ClickTracker` at the deadline).
    public var issuedBy: String
    /// The readers it names (a purge removes the receipts that name its member).
    public var members: [String]
    /// The signed document (``ReadingReceipt``'s JSON); empty in lists.
    public var body: String

    /// Creates a receipt.
    public init(id: Int64 = 0, requestID: Int64, reason: Reason, issuedAt: Date, issuedBy: String, members: [String], body: String) {
        self.id = id
        self.requestID = requestID
        self.reason = reason
        self.issuedAt = issuedAt
        self.issuedBy = issuedBy
        self.members = members
        self.body = body
    }

    /// The readers as stored: each between newlines, so one can be found by `\n<member>\n`.
    public var membersText: String { "\n" + members.map { $0 + "\n" }.joined() }

    /// The readers of stored text.
    public static func members(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init)
    }
}
