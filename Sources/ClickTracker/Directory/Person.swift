/// A member as reports show them: the id they sign in with, their name and email.
public struct Person: Sendable, Hashable, Codable {
    /// The member id (the name recorded with every read).
    public var member: String
    /// The name shown in reports instead of the id, when known.
    public var displayName: String?
    /// Their email address, when known.
    public var email: String?

    /// Creates a person; empty names and emails count as unknown.
    public init(member: String, displayName: String? = nil, email: String? = nil) {
        self.member = member
        self.displayName = displayName.flatMap { $0.isEmpty ? nil : $0 }
        self.email = email.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The display name, or the member id when there is none.
    public var label: String { displayName ?? member }
}
