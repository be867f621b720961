import PostgresNIO

extension PSQLError {
    /// A one-line description for operators: the server's message, or what failed on the way to
    /// the server. Never includes the query's parameters or the password.
    public var operatorDescription: String {
        if let message = serverInfo?[.message] {
            return "the server said: \(message)"
        }
        switch code {
        case .connectionError: return "cannot connect to the server (\(underlying.map { "\($0)" } ?? "connection error"))"
        case .serverClosedConnection, .clientClosedConnection: return "the connection was closed"
        default: return "PostgreSQL error \(code)"
        }
    }
}
