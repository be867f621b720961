/// The store cannot be reached right now (the database server is down, restarting or too slow);
/// the same call may succeed later. Anything else a store throws means the call itself failed.
public struct StorageUnavailable: Error, CustomStringConvertible {
    /// What failed, for operators; never contains a password.
    public let reason: String

    /// Creates the error.
    /// - Parameter reason: What failed, for operators.
    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { "the database is unreachable: \(reason)" }
}
