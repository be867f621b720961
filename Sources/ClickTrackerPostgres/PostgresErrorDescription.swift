import Foundation
import NIOCore
import NIOPosix
import PostgresNIO

extension PSQLError {
    /// A one-line description for operators: the server's message with its SQLSTATE code,
    /// detail and hint, or what failed on the way to the server. Never includes the query's
    /// parameters or the password.
    public var operatorDescription: String { operatorDescription(connectingTo: nil) }

    /// ``operatorDescription``, naming the Unix socket of `dsn` when there is nothing behind it.
    /// - Parameter dsn: The connection string the connection was made with, if known.
    public func operatorDescription(connectingTo dsn: PostgresDSN?) -> String {
        if let message = serverInfo?[.message] {
            var text = "PostgreSQL said: \(message)"
            if let state = serverInfo?[.sqlState] { text += " (SQLSTATE \(state))" }
            if let detail = serverInfo?[.detail] { text += ". \(detail)" }
            if let hint = serverInfo?[.hint] { text += " Hint: \(hint)" }
            switch serverInfo?[.sqlState] {
            case "28P01", "28000": text += "; check user and password in the connection string"
            case "3D000": text += "; create the database, or correct dbname in the connection string"
            default: break
            }
            return text
        }
        switch code {
        case .connectionError: return Self.connectionFailure(underlying, dsn: dsn)
        case .serverClosedConnection, .clientClosedConnection: return "the connection was closed"
        case .uncleanShutdown: return "the connection was cut off"
        case .poolClosed: return "the connection pool is closed"
        case .queryCancelled: return "the query was cancelled"
        default: return "PostgreSQL error \(code)"
        }
    }

    /// Why no connection could be made, in the words of someone running the server: which
    /// address was tried and what to check.
    private static func connectionFailure(_ error: (any Error)?, dsn: PostgresDSN?) -> String {
        guard let error else { return "cannot connect to the server" }
        let check = "check host and port in the connection string"
        switch error {
        case let error as NIOConnectionError:
            let address = error.host.contains(":") ? "[\(error.host)]:\(error.port)" : "\(error.host):\(error.port)"
            let codes = error.connectionErrors.map { ($0.error as? IOError)?.errnoCode }
            if codes.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return "cannot find the host \(error.host); \(check)"
            }
            if !codes.isEmpty, codes.allSatisfy({ $0 == ECONNREFUSED }) {
                return "nothing is listening on \(address); is PostgreSQL running? (or \(check))"
            }
            if let code = codes.compactMap({ $0 }).first {
                return "cannot reach \(address): \(String(cString: strerror(code))); \(check), and the network"
            }
            return "cannot reach \(address); \(check)"
        case let error as IOError where [ENOENT, ECONNREFUSED].contains(error.errnoCode):
            return "nothing is listening on \(dsn?.address ?? "the Unix socket"); is PostgreSQL running? (or \(check))"
        case let error as IOError where error.errnoCode == EACCES:
            return "not allowed to connect to \(dsn?.address ?? "the Unix socket"); run as a user who may, or connect over TCP (host=127.0.0.1)"
        case let error as ChannelError:
            if case .connectTimeout = error {
                return "no answer from \(dsn?.address ?? "the server"); \(check), and that a firewall lets it through"
            }
            return "cannot connect to the server (\(error))"
        default:
            return "cannot connect to the server (\(error))"
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
