import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTrackerServer

/// The `clicktracker` binary, run as a user would.
@Suite("Command line")
struct CommandLineTests {
    struct Run {
        var status: Int32
        var output: String
    }

    static func run(_ arguments: [String], input: String = "", environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CrashTests.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
    }

    @Test("user add stores a bcrypt hash, never the password; user list shows roles")
    func userAdd() async throws {
        let directory = try TemporaryDirectory("cli")
        defer { directory.remove() }
        let users = directory.file("users.json")
        let added = try Self.run(["user", "add", "chair", "--admin", "--users", users], input: "s3cret-Pass\n")
        #expect(added.status == 0)
        #expect(added.output.contains("Added administrator chair"))
        #expect(try Self.run(["user", "add", "alice", "--users", users], input: "alice-pass\n").status == 0)
        let file = try String(contentsOfFile: users, encoding: .utf8)
        #expect(!file.contains("s3cret-Pass"))
        #expect(file.contains("$2b$12$"))
        let permissions = try FileManager.default.attributesOfItem(atPath: users)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(try await UserDirectory(path: users).authenticate(name: "chair", password: "s3cret-Pass")?.role == .admin)
        #expect(try Self.run(["user", "list", "--users", users]).output == "alice\tmember\nchair\tadmin\n")
    }

    @Test("Bad input gives a clear error and changes nothing")
    func badInput() throws {
        let directory = try TemporaryDirectory("cli-bad")
        defer { directory.remove() }
        let users = directory.file("users.json")
        let badName = try Self.run(["user", "add", "bad name", "--users", users], input: "pw\n")
        #expect(badName.status != 0)
        #expect(badName.output.contains("is not a valid user name"))
        let noPassword = try Self.run(["user", "add", "alice", "--users", users], input: "")
        #expect(noPassword.status != 0)
        #expect(noPassword.output.contains("no password given"))
        #expect(!FileManager.default.fileExists(atPath: users))
        let badSite = try Self.run(["serve", "--site", directory.file("missing"), "--port", "0", "--database", directory.file("db.sqlite")])
        #expect(badSite.status != 0)
        #expect(badSite.output.contains("the site folder"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("db.sqlite")))
    }

    @Test("db init creates the schema, is safe to run again, and explains what is wrong")
    func databaseInit() async throws {
        let (port, database) = try await PostgresServer.shared.createDatabase()
        let dsn = "host=127.0.0.1 port=\(port) user=postgres password=hunter2 dbname=\(database) sslmode=disable"
        let first = try Self.run(["db", "init", "--dsn", dsn])
        #expect(first.status == 0)
        #expect(first.output.contains("created the ClickTracker schema (version 1)"))
        #expect(!first.output.contains("hunter2"))
        let second = try Self.run(["db", "init", "--dsn", "postgres://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable"])
        #expect(second.status == 0)
        #expect(second.output.contains("is current"))
        let missing = try Self.run(["db", "init", "--dsn", "host=127.0.0.1 port=\(port) user=postgres dbname=nope sslmode=disable"])
        #expect(missing.status != 0)
        #expect(missing.output.contains("database \"nope\" does not exist"))
        let unreachable = try Self.run(["db", "init", "--dsn", "host=127.0.0.1 port=\(try freePort()) user=postgres sslmode=disable"])
        #expect(unreachable.status != 0)
        #expect(unreachable.output.contains("cannot connect"))
        let malformed = try Self.run(["db", "init", "--dsn", "port=abc"])
        #expect(malformed.status != 0)
        #expect(malformed.output.contains("invalid connection string"))
    }
}
