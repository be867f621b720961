/// Decides whether a page is tracked: it is when it, or a section above it, is marked.
public struct TrackingRules: Sendable, Hashable {
    /// The marked sections.
    public let sections: Set<SectionPath>

    /// Creates rules from the marked sections. The root is ignored: it cannot be marked.
    public init(sections: some Sequence<SectionPath>) {
        self.sections = Set(sections.filter { !$0.isRoot })
    }

    /// The nearest marked section that contains `path`, or `nil` if the page is not tracked.
    /// - Parameter path: The page's path.
    public func trackingSection(for path: SectionPath) -> SectionPath? {
        var candidate: SectionPath? = path
        while let current = candidate, !current.isRoot {
            if sections.contains(current) { return current }
            candidate = current.parent
        }
        return nil
    }
}
