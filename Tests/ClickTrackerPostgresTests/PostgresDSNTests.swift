import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import ClickTrackerPostgres

@Suite("PostgreSQL connection strings")
struct PostgresDSNTests {
    @Test("libpq keyword strings, with quoting")
    func keywords() throws {
        let dsn = try PostgresDSN(#"host=db.example port=6543 user=ct password='a \'quoted\' \\ secret' dbname=tracking sslmode=require"#)
        #expect(dsn.host == "db.example")
        #expect(dsn.port == 6543)
        #expect(dsn.user == "ct")
        #expect(dsn.password == #"a 'quoted' \ secret"#)
        #expect(dsn.database == "tracking")
        #expect(dsn.sslMode == .require)
        #expect(!dsn.description.contains("quoted"))
        #expect(dsn.description.contains("password=*****"))
    }

    @Test("The seed's Debian example: only a database name means the local socket as the system user")
    func socketDefaults() throws {
        let dsn = try PostgresDSN("dbname=tracking")
        #expect(dsn.usesUnixSocket)
        #expect(dsn.host == "/var/run/postgresql")
        #expect(dsn.port == 5432)
        #expect(dsn.database == "tracking")
        #expect(!dsn.user.isEmpty)
        #expect(dsn.password == nil)
    }

    @Test("postgres:// URLs")
    func urls() throws {
        let dsn = try PostgresDSN("postgres://ct:p%40ss@db:5433/tracking?sslmode=disable")
        #expect(dsn.host == "db")
        #expect(dsn.port == 5433)
        #expect(dsn.user == "ct")
        #expect(dsn.password == "p@ss")
        #expect(dsn.database == "tracking")
        #expect(dsn.sslMode == .disable)
        let socket = try PostgresDSN("postgresql:///tracking?host=/run/postgresql")
        #expect(socket.usesUnixSocket)
        #expect(socket.database == "tracking")
    }

    @Test(
        "Bad strings are refused with a clear reason",
        arguments: ["dbname", "port=abc", "port=70000", "sslmode=sometimes", "colour=blue", "password='open", "host= "]
    )
    func bad(string: String) {
        #expect(throws: PostgresDSN.ParseError.self) { try PostgresDSN(string) }
    }

    @Test("Errors never quote the string: an unquoted password with a space leaks nothing")
    func errorsQuoteNothing() {
        for string in ["host=db password=ab secret-part dbname=x", "password=ab secret-part=1", "port=secret-part"] {
            do {
                _ = try PostgresDSN(string)
                Issue.record("\(string) parsed")
            } catch {
                #expect(!error.description.contains("secret"), "\(error)")
            }
        }
    }

    @Test("Unix-socket and TCP connections reach a real server")
    func connects() async throws {
        let (port, database) = try await PostgresServer.shared.createDatabase()
        let socketFolder = try await PostgresServer.shared.socketFolder()
        for string in [
            "host=\(socketFolder) port=\(port) user=postgres dbname=\(database)",
            "postgres://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable",
        ] {
            let client = PostgresClient(configuration: try PostgresDSN(string).clientConfiguration)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                let rows = try await client.query("SELECT current_database()")
                var names: [String] = []
                for try await name in rows.decode(String.self) { names.append(name) }
                #expect(names == [database])
            }
        }
    }
}
