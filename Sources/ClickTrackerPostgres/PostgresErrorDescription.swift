import PostgresNIO

extension PSQLError {
    /// A one-line description for operators: the server's message with its SQLSTATE code,
    /// detail and hint, or what failed on the way to the server. Never includes the query's
    /// parameters or the password.
    public var operatorDescription: String {
        if let message = serverInfo?[.message] {
            var text = "PostgreSQL said: \(message)"
            if let state = serverInfo?[.sqlState] { text += " (SQLSTATE \(state))" }
            if let detail = serverInfo?[.detail] { text += ". \(detail)" }
            if let hint = serverInfo?[.hint] { text += " Hint: \(hint)" }
            return text
        }
        switch code {
        case .connectionError: return "cannot connect to the server (\(underlying.map { "\($0)" } ?? "connection error"))"
        case .serverClosedConnection, .clientClosedConnection: return "the connection was closed"
        case .uncleanShutdown: return "the connection was cut off"
        case .poolClosed: return "the connection pool is closed"
        case .queryCancelled: return "the query was cancelled"
        default: return "PostgreSQL error \(code)"
        }
    }
}

/// The PostgreSQL server refused a call: its message, code and detail for operators
/// (``PSQLError`` itself prints only a generic description).
public struct PostgresRefusal: Error, CustomStringConvertible {
    /// What the server said, for operators; never contains a password or a query's parameters.
    public let description: String
    /// The SQLSTATE code, when the server sent one.
    public let sqlState: String?

    init(_ error: PSQLError) {
        self.description = error.operatorDescription
        self.sqlState = error.serverInfo?[.sqlState]
    }
}
