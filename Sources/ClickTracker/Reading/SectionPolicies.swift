/// The tracked sections and their reading policies: which marked section tracks a path (the
/// nearest marked ancestor), and the policy a document is judged by.
public struct SectionPolicies: Sendable {
    /// The tracked sections.
    public let sections: [TrackedSection]
    private let rules: TrackingRules

    /// Looks up paths among `sections`.
    public init(_ sections: [TrackedSection]) {
        self.sections = sections
        self.rules = TrackingRules(sections: sections.map(\.path))
    }

    /// Reads the sections from the store.
    public static func load(_ storage: any ClickStorage) async throws -> SectionPolicies {
        SectionPolicies(try await storage.trackedSections())
    }

    /// The tracked section a path is in, if any.
    public func section(for path: SectionPath) -> TrackedSection? {
        rules.trackingSection(for: path).flatMap { marked in sections.first { $0.path == marked } }
    }

    /// The policy a document is judged by: its section's, or the standard one.
    public func policy(forDocument path: String) -> ReadingPolicy {
        (try? SectionPath(path)).flatMap(section(for:))?.policy ?? .standard
    }
}
