import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL cluster for the tests: `initdb` into a temporary folder, started with
/// `pg_ctl` on a free loopback port with trust authentication, stopped (and deleted) when the test
/// process exits. One cluster serves the whole test process; each test creates its own database.
///
/// Starting fails loudly when PostgreSQL is not installed: these tests must run, never skip.
/// Install it with `apt-get install postgresql`.
public actor PostgresServer {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The cluster of this test process.
    public static let shared = PostgresServer()

    private var started: (port: Int, directory: String)?
    private var databases = 0

    /// Starts the cluster if needed and creates a new, empty database.
    /// - Returns: The port and the new database's name.
    public func createDatabase() throws -> (port: Int, database: String) {
        let port = try start().port
        databases += 1
        let name = "clicktracker_test_\(databases)"
        try Self.psql(port: port, database: "postgres", ["-c", "CREATE DATABASE \(name)"])
        return (port, name)
    }

    /// The folder holding the cluster's Unix socket.
    public func socketFolder() throws -> String {
        try start().directory
    }

    /// Runs `psql` against a database of the cluster and returns its output.
    @discardableResult
    public nonisolated static func psql(port: Int, database: String, _ arguments: [String]) throws -> String {
        try run(
            binary("psql"),
            ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database] + arguments,
            asPostgres: false
        )
    }

    private func start() throws -> (port: Int, directory: String) {
        if let started { return started }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clicktracker-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 {
            try Self.run("/bin/chown", ["postgres:postgres", directory], asPostgres: false)
        }
        let data = directory + "/data"
        try Self.run(try Self.binary("initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"], asPostgres: true)
        let port = try freePort()
        // The server outlives pg_ctl and would hold a pipe open: its output goes to the log only.
        try Self.run(
            try Self.binary("pg_ctl"),
            [
                "-D", data, "-l", directory + "/server.log", "-w", "-o",
                "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start",
            ],
            asPostgres: true,
            captureOutput: false
        )
        Self.registerStop(data: data, directory: directory)
        started = (port, directory)
        return (port, directory)
    }

    /// The cluster is stopped and deleted when the test process exits.
    private nonisolated static func registerStop(data: String, directory: String) {
        stopCommand.withLock { $0 = (data, directory) }
        atexit {
            guard let (data, directory) = PostgresServer.stopCommand.withLock({ $0 }) else { return }
            _ = try? PostgresServer.run(try PostgresServer.binary("pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], asPostgres: true)
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    private static let stopCommand = Mutex<(String, String)?>(nil)

    /// The newest installed PostgreSQL's program `name`.
    nonisolated static func binary(_ name: String) throws -> String {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/\(name)") {
            return "/usr/lib/postgresql/\(version)/bin/\(name)"
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        throw Failure(description: "PostgreSQL's \(name) is required for the PostgreSQL tests: apt-get install postgresql")
    }

    /// Runs a program to completion with `posix_spawn` and `waitpid` (Foundation's `Process` can
    /// miss the exit of a short-lived child here), its output collected in a temporary file.
    @discardableResult
    nonisolated static func run(_ executable: String, _ arguments: [String], asPostgres: Bool, captureOutput: Bool = true) throws -> String {
        let argv = asPostgres && getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] + arguments : [executable] + arguments
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("ct-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, captureOutput ? outputPath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw Failure(description: "cannot start \(argv[0]): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw Failure(description: "\(argv.joined(separator: " ")) failed (status \(status)): \(text)")
        }
        return text
    }
}
