/// A named list of members: a committee, a board.
public struct MemberGroup: Sendable, Hashable {
    /// Why a group name is refused.
    public struct InvalidName: Error, CustomStringConvertible {
        public let description: String
    }

    /// The group's name, unique.
    public var name: String
    /// How many members it has.
    public var size: Int

    /// Creates a group summary.
    public init(name: String, size: Int) {
        self.name = name
        self.size = size
    }

    /// Checks a group name: 1 to 100 characters, no control characters, not only spaces.
    public static func validate(name: String) throws(InvalidName) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(trimmed.count) else {
            throw InvalidName(description: "a group name must have 1 to 100 characters")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw InvalidName(description: "a group name may not contain control characters")
        }
        return trimmed
    }
}
