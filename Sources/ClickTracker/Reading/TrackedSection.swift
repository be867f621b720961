/// A marked section and its reading policy.
public struct TrackedSection: Sendable, Hashable {
    /// The marked section.
    public var path: SectionPath
    /// When a document in it counts as read.
    public var policy: ReadingPolicy

    /// Creates a tracked section.
    public init(path: SectionPath, policy: ReadingPolicy = .standard) {
        self.path = path
        self.policy = policy
    }
}
