import Foundation
import NIOSSL
import PostgresNIO

/// A PostgreSQL connection string in either form users have: libpq keywords
/// (`dbname=tracking`, `host=db port=5432 user=ct password='s3cret' sslmode=require`) or a URL
/// (`postgres://ct:s3cret@db:5432/tracking?sslmode=require`).
///
/// As with libpq, a missing host means the local Unix socket (`/var/run/postgresql`), so
/// `dbname=tracking` run as a system user uses peer authentication; a host that starts with `/` is
/// a socket folder; the user defaults to the system user and the database to the user.
/// ``description`` never shows the password.
public struct PostgresDSN: Sendable, Hashable, CustomStringConvertible {
    /// Why a connection string cannot be used.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// TLS use, as libpq's `sslmode`.
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    /// `true` when the host is a Unix socket folder.
    public var usesUnixSocket: Bool { host.hasPrefix("/") }

    /// Parses a connection string.
    public init(_ string: String) throws(ParseError) {
        let trimmed = string.trimmingCharacters(in: .whitespacesAndNewlines)
        let fields =
            trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") ? try Self.urlFields(trimmed) : try Self.keywordFields(trimmed)
        let known: Set<String> = ["host", "hostaddr", "port", "dbname", "user", "password", "sslmode", "application_name", "connect_timeout"]
        // Errors never quote the string: a stray word may be part of a password.
        if fields.keys.contains(where: { !known.contains($0) }) {
            throw ParseError(
                description: "unknown connection setting; use \(known.sorted().joined(separator: ", ")) (quote values with spaces: password='a b')"
            )
        }
        host = fields["hostaddr"] ?? fields["host"] ?? "/var/run/postgresql"
        guard !host.isEmpty else { throw ParseError(description: "the host is empty") }
        if let port = fields["port"] {
            guard let number = Int(port), (1...65535).contains(number) else {
                throw ParseError(description: "the port is not a number from 1 to 65535")
            }
            self.port = number
        } else {
            port = 5432
        }
        user = fields["user"] ?? Self.systemUser()
        password = fields["password"]
        database = fields["dbname"] ?? user
        if let mode = fields["sslmode"] {
            guard let parsed = SSLMode(rawValue: mode) else {
                throw ParseError(description: "sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            sslMode = parsed
        } else {
            sslMode = .prefer
        }
    }

    /// The connection string with the password replaced by `*****`.
    public var description: String {
        var parts = ["host=\(host)", "port=\(port)", "user=\(user)", "dbname=\(database)", "sslmode=\(sslMode.rawValue)"]
        if password != nil { parts.insert("password=*****", at: 3) }
        return parts.joined(separator: " ")
    }

    /// The postgres-nio pool configuration for this connection string.
    public var clientConfiguration: PostgresClient.Configuration {
        if usesUnixSocket {
            return PostgresClient.Configuration(unixSocketPath: socketPath, username: user, password: password, database: database)
        }
        let tls: PostgresClient.Configuration.TLS =
            switch (sslMode, tlsConfiguration) {
            case (_, .none): .disable
            case (.allow, .some(let configuration)), (.prefer, .some(let configuration)): .prefer(configuration)
            case (_, .some(let configuration)): .require(configuration)
            }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    /// The postgres-nio configuration of a single connection for this connection string.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        if usesUnixSocket {
            return PostgresConnection.Configuration(unixSocketPath: socketPath, username: user, password: password, database: database)
        }
        let tls: PostgresConnection.Configuration.TLS =
            switch (sslMode, tlsConfiguration) {
            case (_, .none): .disable
            case (.allow, .some(let configuration)), (.prefer, .some(let configuration)): .prefer(try NIOSSLContext(configuration: configuration))
            case (_, .some(let configuration)): .require(try NIOSSLContext(configuration: configuration))
            }
        return PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    /// The Unix socket file, when ``usesUnixSocket``.
    var socketPath: String { "\(host)/.s.PGSQL.\(port)" }

    /// Where the server is expected, as messages name it: `the socket /path` or `host:port`.
    var address: String {
        if usesUnixSocket { return "the socket \(socketPath)" }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// TLS settings as libpq's sslmode means them; `nil` for `disable`.
    private var tlsConfiguration: TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable: return nil
        case .allow, .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: break
        }
        return configuration
    }

    private static func systemUser() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "postgres"
    }

    /// `key=value` pairs separated by white space; values may be single-quoted (`\'` and `\\` escape).
    static func keywordFields(_ string: String) throws(ParseError) -> [String: String] {
        var fields: [String: String] = [:]
        var characters = Substring(string)
        func skipSpaces() { characters = characters.drop { $0.isWhitespace } }
        skipSpaces()
        while !characters.isEmpty {
            let key = characters.prefix { $0 != "=" && !$0.isWhitespace }
            characters = characters.dropFirst(key.count)
            skipSpaces()
            guard !key.isEmpty, characters.first == "=" else {
                throw ParseError(description: "expected key=value pairs separated by spaces (quote values with spaces: password='a b')")
            }
            characters = characters.dropFirst()
            skipSpaces()
            var value = ""
            if characters.first == "'" {
                characters = characters.dropFirst()
                var closed = false
                while let character = characters.first {
                    characters = characters.dropFirst()
                    if character == "\\", let escaped = characters.first {
                        value.append(escaped)
                        characters = characters.dropFirst()
                    } else if character == "'" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { throw ParseError(description: "unterminated quoted value for '\(key)'") }
            } else {
                let raw = characters.prefix { !$0.isWhitespace }
                characters = characters.dropFirst(raw.count)
                value = String(raw)
            }
            fields[String(key)] = value
            skipSpaces()
        }
        return fields
    }

    /// The fields of a `postgres://user:password@host:port/dbname?key=value` URL.
    static func urlFields(_ string: String) throws(ParseError) -> [String: String] {
        guard let components = URLComponents(string: string) else { throw ParseError(description: "the connection URL is not a valid URL") }
        var fields: [String: String] = [:]
        if let host = components.percentEncodedHost, !host.isEmpty { fields["host"] = host.removingPercentEncoding ?? host }
        if let port = components.port { fields["port"] = String(port) }
        if let user = components.percentEncodedUser, !user.isEmpty { fields["user"] = user.removingPercentEncoding ?? user }
        if let password = components.percentEncodedPassword { fields["password"] = password.removingPercentEncoding ?? password }
        let database = components.percentEncodedPath.drop { $0 == "/" }
        if !database.isEmpty { fields["dbname"] = String(database).removingPercentEncoding ?? String(database) }
        for item in components.queryItems ?? [] {
            fields[item.name] = item.value ?? ""
        }
        return fields
    }
}
