import Foundation

/// Who is expected to read which documents, by when: the papers for a meeting.
public struct ReadingRequest: Sendable, Hashable, Identifiable {
    /// The store's id for the request (`0` before it is stored).
    public var id: Int64
    /// What the request is for, e.g. "Board meeting, 3 December".
    public var title: String
    /// The folder (or single document) the request was made on.
    public var path: SectionPath
    /// The documents to read, by path (a document's key or its current path), in the order
    /// shown; a document nobody has opened yet counts as not opened for everyone.
    public var documents: [String]
    /// A group whose members (as they are now) are expected to read it.
    public var group: String?
    /// Members expected besides the group's.
    public var members: [String]
    /// When it must have been read: the meeting.
    public var deadline: Date
    /// The time zone the deadline was given in, and is shown in (an IANA identifier).
    public var timeZone: String
    /// When the request was made, and by whom.
    public var createdAt: Date
    public var createdBy: String
    /// When its status at the deadline was frozen (see ``ClickStorage/freezeRequest(id:at:)``).
    public var frozenAt: Date?
    /// When every expected reader had read every document (see
    /// ``ClickStorage/completeRequest(id:at:announcing:)``).
    public var completedAt: Date?

    /// Creates a request.
    public init(
        id: Int64 = 0,
        title: String,
        path: SectionPath,
        documents: [String] = [],
        group: String?,
        members: [String],
        deadline: Date,
        timeZone: String,
        createdAt: Date = Date(),
        createdBy: String,
        frozenAt: Date? = nil,
        completedAt: Date? = nil
    ) {
        self.id = id
        self.title = title
        self.path = path
        self.documents = documents
        self.group = group
        self.members = members
        self.deadline = deadline
        self.timeZone = timeZone
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.frozenAt = frozenAt
        self.completedAt = completedAt
    }
}
