import ClickTracker

/// The tracked sections and their reading policies, to judge each document under the policy of
/// the section that tracks it.
struct SectionPolicies: Sendable {
    let sections: [TrackedSection]
    private let rules: TrackingRules

    init(_ sections: [TrackedSection]) {
        self.sections = sections
        self.rules = TrackingRules(sections: sections.map(\.path))
    }

    /// Reads the sections from the store.
    static func load(_ storage: any ClickStorage) async throws -> SectionPolicies {
        SectionPolicies(try await storage.trackedSections())
    }

    /// The tracked section a path is in, if any.
    func section(for path: SectionPath) -> TrackedSection? {
        rules.trackingSection(for: path).flatMap { marked in sections.first { $0.path == marked } }
    }

    /// The policy a document is judged by: its section's, or the standard one.
    func policy(forDocument path: String) -> ReadingPolicy {
        (try? SectionPath(path)).flatMap(section(for:))?.policy ?? .standard
    }
}
