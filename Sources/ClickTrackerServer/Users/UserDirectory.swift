import Foundation
import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// The users file: a JSON list of users with bcrypt password hashes.
///
/// The file is re-read when it changes on disk, so `clicktracker user add` takes effect on a
/// running server. Password checks run on a thread pool, never on an event loop. Look-ups take
/// a lock, not an actor hop: every request with a session makes one.
public final class UserDirectory: Sendable {
    /// Why the users file could not be used.
    public enum DirectoryError: Error, CustomStringConvertible {
        case unreadable(path: String, reason: String)
        case invalidName(String)
        case emptyPassword

        public var description: String {
            switch self {
            case .unreadable(let path, let reason): "cannot read the users file \(path): \(reason)"
            case .invalidName(let name): "'\(name)' is not a valid user name (1-64 letters, digits, '.', '_', '-', '@')"
            case .emptyPassword: "the password must not be empty"
            }
        }
    }

    private struct File: Codable {
        var users: [User]
    }

    /// The users file.
    public let path: String
    private let state = Mutex(State())

    private struct State {
        var users: [String: User] = [:]
        var loadedModificationDate: Date?
        var lastChecked = ContinuousClock.now - .seconds(60)
    }

    /// A hash checked when the name is unknown, so a wrong name costs as much time as a wrong password.
    private static let decoyHash = Bcrypt.hash("decoy password", cost: 12)

    /// Opens the users file at `path`; a missing file means no users yet.
    public init(path: String) {
        self.path = path
    }

    /// The user with this name, if there is one.
    public func user(named name: String) throws(DirectoryError) -> User? {
        try withState { state throws(DirectoryError) in
            try reloadIfChanged(&state)
            return state.users[name]
        }
    }

    /// All users, sorted by name.
    public func allUsers() throws(DirectoryError) -> [User] {
        try withState { state throws(DirectoryError) in
            try reloadIfChanged(&state)
            return state.users.values.sorted { $0.name < $1.name }
        }
    }

    /// Checks a name and password; returns the user when both match.
    public func authenticate(name: String, password: String) async throws -> User? {
        let user = try self.user(named: name)
        let hash = user?.passwordHash ?? Self.decoyHash
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
        return matches ? user : nil
    }

    /// Adds a user or replaces the password and role of an existing one, and saves the file (mode 0600).
    /// - Parameters:
    ///   - name: Sign-in name.
    ///   - password: The password; only its bcrypt hash is stored.
    ///   - role: The user's role.
    ///   - cost: bcrypt cost factor.
    /// - Returns: `true` if the user is new.
    @discardableResult
    public func setUser(name: String, password: String, role: User.Role, cost: UInt8 = 12) throws(DirectoryError) -> Bool {
        guard User.isValidName(name) else { throw .invalidName(name) }
        guard !password.isEmpty else { throw .emptyPassword }
        let user = User(name: name, role: role, passwordHash: Bcrypt.hash(password, cost: cost))
        return try withState { state throws(DirectoryError) in
            try reloadIfChanged(&state)
            let isNew = state.users[name] == nil
            state.users[name] = user
            try save(&state)
            return isNew
        }
    }

    /// Removes a user and saves the file; their sessions end with them.
    /// - Returns: `false` when there was no such user (the file is left as it was).
    @discardableResult
    public func removeUser(name: String) throws(DirectoryError) -> Bool {
        try withState { state throws(DirectoryError) in
            try reloadIfChanged(&state, force: true)
            guard state.users.removeValue(forKey: name) != nil else { return false }
            try save(&state)
            return true
        }
    }

    private func withState<T>(_ body: (inout State) throws(DirectoryError) -> T) throws(DirectoryError) -> T {
        try state.withLock { (state: inout State) throws(DirectoryError) -> T in try body(&state) }
    }

    private func save(_ state: inout State) throws(DirectoryError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            let data = try encoder.encode(File(users: state.users.values.sorted { $0.name < $1.name }))
            let temporary = path + ".tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw DirectoryError.unreadable(path: path, reason: "cannot write \(temporary)")
            }
            state.lastChecked = ContinuousClock.now
            guard rename(temporary, path) == 0 else {
                throw DirectoryError.unreadable(path: path, reason: "cannot replace the file")
            }
            state.loadedModificationDate = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        } catch let error as DirectoryError {
            throw error
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
    }

    /// Re-reads the file if it changed; checks at most once a second unless `force`d.
    private func reloadIfChanged(_ state: inout State, force: Bool = false) throws(DirectoryError) {
        let now = ContinuousClock.now
        guard force || now - state.lastChecked >= .seconds(1) else { return }
        state.lastChecked = now
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            state.users = [:]
            state.loadedModificationDate = nil
            return
        }
        let modified = attributes[.modificationDate] as? Date
        guard modified != state.loadedModificationDate || state.loadedModificationDate == nil else { return }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let file = try JSONDecoder().decode(File.self, from: data)
            state.users = Dictionary(file.users.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
            state.loadedModificationDate = modified
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
    }
}
