import Foundation

/// One look at a report (or a change of API tokens): who, when, which report and about what.
/// The audit log keeps them so that it is known who saw whose reading records.
public struct AuditEntry: Sendable, Hashable {
    /// When the report was read.
    public var at: Date
    /// Who read it: a user name, or `token:` and an API token's name.
    public var actor: String
    /// The report and how it was read, e.g. `readers csv` or `request page`.
    public var action: String
    /// What it was about: a section, a request, a member.
    public var subject: String

    /// Creates an entry.
    public init(at: Date, actor: String, action: String, subject: String) {
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
    }
}

/// One page of the audit log, newest first, and the number of entries in all pages.
public struct AuditPage: Sendable, Hashable {
    /// The entries of this page.
    public var entries: [AuditEntry]
    /// Entries in the whole log.
    public var total: Int

    /// Creates a page.
    public init(entries: [AuditEntry], total: Int) {
        self.entries = entries
        self.total = total
    }
}
