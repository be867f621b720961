import Foundation

/// One reader's stage with one document of a request at its deadline, as frozen when the
/// deadline passed: later changes of policy, version or retention never move it.
public struct FrozenCell: Sendable, Hashable {
    /// The reader.
    public var member: String
    /// The document, by the path the request names.
    public var path: String
    /// The stage reached by the deadline.
    public var stage: ReadingStage
    /// When that stage was reached (`nil` for not opened).
    public var reachedAt: Date?

    /// Creates a frozen cell.
    public init(member: String, path: String, stage: ReadingStage, reachedAt: Date?) {
        self.member = member
        self.path = path
        self.stage = stage
        self.reachedAt = reachedAt
    }
}
