/// The orders a reading request's readers can be listed in.
public enum RequestOrder: String, Sendable, Hashable, CaseIterable {
    /// Furthest behind first, then fewest documents read (the page's order).
    case status
    /// By name (the member id when there is none).
    case name
    /// By the number of documents read, fewest first.
    case read
}
