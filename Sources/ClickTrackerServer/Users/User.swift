/// A person who can sign in.
public struct User: Sendable, Hashable, Codable {
    /// What a user may do.
    public enum Role: String, Sendable, Codable, CaseIterable {
        /// Reads documents; their reads are recorded.
        case member
        /// Also manages tracking and reads the reports.
        case admin
    }

    /// The sign-in name, recorded as the member in the access log.
    public var name: String
    /// The user's role.
    public var role: Role
    /// bcrypt hash of the password (salted, cost 12 by default).
    public var passwordHash: String

    /// The shortest password `clicktracker user add` accepts without `--allow-weak`.
    public static let minimumPasswordLength = 12

    /// `true` for administrators.
    public var isAdmin: Bool { role == .admin }

    /// Creates a user record.
    public init(name: String, role: Role, passwordHash: String) {
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
    }

    /// `true` if `name` is 1–64 characters of letters, digits, `.`, `_`, `-` and `@`.
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.count)
            && name.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-@".unicodeScalars.contains(scalar))
            }
    }
}
