import Foundation

/// Who is expected to read a document or a section, by when: the papers for a meeting.
public struct ReadingRequest: Sendable, Hashable, Identifiable {
    /// The store's id for the request (`0` before it is stored).
    public var id: Int64
    /// What the request is for, e.g. "Board meeting, 3 December".
    public var title: String
    /// The document or section to read.
    public var path: SectionPath
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

    /// Creates a request.
    public init(
        id: Int64 = 0,
        title: String,
        path: SectionPath,
        group: String?,
        members: [String],
        deadline: Date,
        timeZone: String,
        createdAt: Date = Date(),
        createdBy: String
    ) {
        self.id = id
        self.title = title
        self.path = path
        self.group = group
        self.members = members
        self.deadline = deadline
        self.timeZone = timeZone
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}

/// The evidence a request is judged on: the documents in its scope, and what each expected
/// reader had read of them by a time.
public struct RequestEvidence: Sendable, Hashable {
    /// The documents at or below the request's path that the server has seen, by path.
    public var documents: [DocumentReference]
    /// Per member and document, the evidence up to the time asked for (members who read nothing are absent).
    public var readers: [ReaderSummary]

    /// Creates the evidence.
    public init(documents: [DocumentReference], readers: [ReaderSummary]) {
        self.documents = documents
        self.readers = readers
    }
}
