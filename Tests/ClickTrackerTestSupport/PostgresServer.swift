import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL cluster for the tests: `initdb` into a temporary folder, started with
/// `pg_ctl` on a free loopback port, stopped (and deleted) when the test process exits. One
/// cluster (``shared``) serves most of the test process, each test creating its own database; a
/// test that stops the server (an outage) creates a cluster of its own.
///
/// Authentication is `trust`, except for the role ``passwordRole``, which must give its password
/// (``password``) over TCP, for testing wrong passwords.
///
/// Starting fails loudly when PostgreSQL is not installed: these tests must run, never skip.
/// Install it with `apt-get install postgresql`.
public actor PostgresServer {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The cluster most tests share.
    public static let shared = PostgresServer()

    /// A role that must authenticate with ``password`` (create it with ``createPasswordRole()``).
    public static let passwordRole = "secured"
    public static let password = "right-password"

    private var started: (port: Int, directory: String)?
    private var databases = 0

    /// Creates a cluster; it starts when first used.
    public init() {}

    /// Stops the server, as an outage would (connections are closed at once).
    public func stop() throws {
        guard let started else { return }
        try Self.run(try Self.binary("pg_ctl"), ["-D", started.directory + "/data", "-m", "fast", "-w", "stop"], asPostgres: true)
    }

    /// Starts the server again after ``stop()``, on the same port; tries for a few seconds, as a
    /// loaded machine can be slow to let the port go.
    public func restart() async throws {
        guard let started else { return }
        for attempt in 1...5 {
            do {
                return try Self.launch(data: started.directory + "/data", directory: started.directory, port: started.port)
            } catch  where attempt < 5 {
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Creates ``passwordRole`` (if missing) with ``password``.
    public func createPasswordRole() throws {
        let port = try start().port
        try Self.psql(
            port: port,
            database: "postgres",
            [
                "-c",
                """
                DO $$ BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(Self.passwordRole)') THEN
                        CREATE ROLE \(Self.passwordRole) LOGIN SUPERUSER PASSWORD '\(Self.password)';
                    END IF;
                END $$
                """,
            ]
        )
    }

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

    /// Runs `pg_dump --schema-only` (without owners and privileges, which depend on who loaded
    /// the schema) against a database of the cluster and returns the dump.
    public nonisolated static func pgDump(port: Int, database: String) throws -> String {
        try run(
            binary("pg_dump"),
            ["--schema-only", "--no-owner", "--no-privileges", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database],
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
        let rules = """
            local all all trust
            host all \(Self.passwordRole) 127.0.0.1/32 scram-sha-256
            host all all 127.0.0.1/32 trust
            """
        try rules.write(toFile: data + "/pg_hba.conf", atomically: false, encoding: .utf8)
        let port = try freePort()
        try Self.launch(data: data, directory: directory, port: port)
        Self.registerStop(data: data, directory: directory)
        started = (port, directory)
        return (port, directory)
    }

    private static func launch(data: String, directory: String, port: Int) throws {
        // The server outlives pg_ctl and would hold a pipe open: its output goes to the log only.
        try run(
            try binary("pg_ctl"),
            [
                "-D", data, "-l", directory + "/server.log", "-w", "-o",
                "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start",
            ],
            asPostgres: true,
            captureOutput: false
        )
    }

    /// Every cluster is stopped and deleted when the test process exits.
    private nonisolated static func registerStop(data: String, directory: String) {
        let isFirst = clusters.withLock { clusters in
            clusters.append((data, directory))
            return clusters.count == 1
        }
        guard isFirst else { return }
        atexit {
            for (data, directory) in PostgresServer.clusters.withLock({ $0 }) {
                _ = try? PostgresServer.run(try PostgresServer.binary("pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], asPostgres: true)
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }

    private static let clusters = Mutex<[(String, String)]>([])

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
        // The server started here lives for the whole run: it must hold none of the test process's descriptors.
        SpawnActions.closeFrom(&actions, 3)
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
