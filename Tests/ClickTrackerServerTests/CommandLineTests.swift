import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTrackerSQLite
@testable import ClickTrackerServer

/// The `clicktracker` binary, run as a user would.
@Suite("Command line")
struct CommandLineTests {
    struct Run {
        var status: Int32
        var output: String
    }

    /// Runs the binary to completion in a fresh folder. Input and output go through files, not pipes: a pipe's
    /// end inherited by a child another test starts at the same moment would keep it open.
    static func run(_ arguments: [String], input: String = "", environment: [String: String] = [:]) async throws -> Run {
        let directory = try TemporaryDirectory("cli-run")
        defer { directory.remove() }
        let inputPath = try directory.write("input", input)
        let outputPath = try directory.write("output", "")
        let child = try ChildProcess(
            CrashTests.binary,
            arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new },
            directory: directory.path,
            input: inputPath,
            output: outputPath
        )
        let status = try await child.exitStatus()
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return Run(status: (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), output: output)
    }

    @Test("user add stores a bcrypt hash, never the password, refuses short passwords unless --allow-weak; user list shows roles")
    func userAdd() async throws {
        let directory = try TemporaryDirectory("cli")
        defer { directory.remove() }
        let users = directory.file("users.json")
        let added = try await Self.run(["user", "add", "chair", "--admin", "--users", users], input: "s3cret-Pass-phrase\n")
        #expect(added.status == 0)
        #expect(added.output.contains("Added administrator chair"))
        let weak = try await Self.run(["user", "add", "alice", "--users", users], input: "alice-pass\n")
        #expect(weak.status != 0)
        #expect(weak.output.contains("the password has 10 characters; use at least 12"), "\(weak.output)")
        #expect(try UserDirectory(path: users).user(named: "alice") == nil)
        #expect(try await Self.run(["user", "add", "alice", "--allow-weak", "--users", users], input: "alice-pass\n").status == 0)
        let file = try String(contentsOfFile: users, encoding: .utf8)
        #expect(!file.contains("s3cret-Pass"))
        #expect(file.contains("$2b$12$"))
        let permissions = try FileManager.default.attributesOfItem(atPath: users)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(try await UserDirectory(path: users).authenticate(name: "chair", password: "s3cret-Pass-phrase")?.role == .admin)
        #expect(try await Self.run(["user", "list", "--users", users]).output == "alice\tmember\nchair\tadmin\n")
    }

    @Test("group import sets a group from CSV in the configured store; list, export and delete; bad files change nothing")
    func groups() async throws {
        let directory = try TemporaryDirectory("cli-groups")
        defer { directory.remove() }
        let config = try directory.write("clicktracker.json", #"{ "database": "tracking.sqlite" }"#)
        let csv = try directory.write("board.csv", "user,name,email\nalice,\"Archer, Alice\",alice@example.org\nbob,Bob Baker,\n")
        let imported = try await Self.run(["group", "import", csv, "--config", config])
        #expect(imported.status == 0 && imported.output == "Group board: 2 members\n", "\(imported.output)")
        #expect(try await Self.run(["group", "list", "--config", config]).output == "board\t2\n")
        let exported = try await Self.run(["group", "export", "board", "--config", config])
        #expect(exported.output == "user,name,email\r\nalice,\"Archer, Alice\",alice@example.org\r\nbob,Bob Baker,\r\n")

        let bad = try directory.write("bad.csv", "name,email\nx,y\n")
        let refused = try await Self.run(["group", "import", bad, "--name", "board", "--config", config])
        #expect(refused.status != 0 && refused.output.contains("no user column"))
        #expect(try await Self.run(["group", "list", "--config", config]).output == "board\t2\n")
        #expect(try await Self.run(["group", "export", "nobody", "--config", config]).output.contains("there is no group named nobody"))
        #expect(try await Self.run(["group", "delete", "board", "--config", config]).status == 0)
        #expect(try await Self.run(["group", "list", "--config", config]).output == "")
    }

    @Test("purge --user removes one person's data only with --yes, and nobody else's")
    func purge() async throws {
        let directory = try TemporaryDirectory("cli-purge")
        defer { directory.remove() }
        let config = try directory.write("clicktracker.json", #"{ "database": "tracking.sqlite" }"#)
        let store = try await SQLiteStore.open(path: directory.file("tracking.sqlite"))
        try await store.record([
            StorageConformance.event("alice", "/p/a"), StorageConformance.event("alice", "/p/b"), StorageConformance.event("bob", "/p/a"),
        ])
        try await store.close()
        let unconfirmed = try await Self.run(["purge", "--user", "alice", "--config", config])
        #expect(unconfirmed.status != 0 && unconfirmed.output.contains("add --yes to confirm"))
        let purged = try await Self.run(["purge", "--user", "alice", "--yes", "--config", config])
        #expect(purged.status == 0 && purged.output == "Removed everything kept about alice (2 views)\n", "\(purged.output)")
        let reopened = try await SQLiteStore.open(path: directory.file("tracking.sqlite"))
        #expect(try await reopened.accessLog(AccessLogQuery(section: .root)).entries.map(\.member) == ["bob"])
        try await reopened.close()
    }

    @Test("Bad input gives a clear error and changes nothing")
    func badInput() async throws {
        let directory = try TemporaryDirectory("cli-bad")
        defer { directory.remove() }
        let users = directory.file("users.json")
        let badName = try await Self.run(["user", "add", "bad name", "--users", users], input: "pw\n")
        #expect(badName.status != 0)
        #expect(badName.output.contains("is not a valid user name"))
        let noPassword = try await Self.run(["user", "add", "alice", "--users", users], input: "")
        #expect(noPassword.status != 0)
        #expect(noPassword.output.contains("no password given"))
        #expect(!FileManager.default.fileExists(atPath: users))
        let badSite = try await Self.run(["serve", "--site", directory.file("missing"), "--port", "0", "--database", directory.file("db.sqlite")])
        #expect(badSite.status != 0)
        #expect(badSite.output.contains("the site folder"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("db.sqlite")))
        let nothing = try await Self.run(["serve", "--port", "0", "--database", directory.file("db.sqlite")])
        #expect(nothing.status != 0 && nothing.output.contains("nothing to serve: give a folder of documents with --site FOLDER"))
        try FileManager.default.createDirectory(atPath: directory.file("site"), withIntermediateDirectories: true)
        let nobody = try await Self.run(["serve", "--site", directory.file("site"), "--users", users, "--database", directory.file("db.sqlite")])
        #expect(nobody.status != 0 && nobody.output.contains("there is no users file at \(users): add the first administrator with"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("db.sqlite")))
        let badConfig = try directory.write("bad.json", #"{ "port": "8094" }"#)
        let wrongType = try await Self.run(["serve", "--config", badConfig])
        #expect(wrongType.status != 0)
        #expect(wrongType.output.contains(#"invalid configuration: \#(badConfig): "port" must be a whole number, not "8094""#))
        #expect(!wrongType.output.contains("cannot read the configuration"))
    }

    @Test("serve on a port in use says so in one line, names the option to change it, and makes no database, key file or spool")
    func portInUse() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        let second = try TemporaryDirectory("cli-second")
        defer { second.remove() }
        try FileManager.default.createDirectory(atPath: second.file("site"), withIntermediateDirectories: true)
        try await fixture.withServer { port in
            let config = try second.write(
                "clicktracker.json",
                #"{ "site": "site", "users": "\#(fixture.configuration.usersFile)", "host": "127.0.0.1", "port": \#(port) }"#
            )
            let refused = try await Self.run(["serve", "--config", config])
            #expect(refused.status != 0)
            #expect(refused.output.contains("port \(port) on 127.0.0.1 is already in use"), "\(refused.output)")
            #expect(refused.output.contains("--port") && !refused.output.contains("bind(descriptor"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: second.path).sorted() == ["clicktracker.json", "site"])

        // A connection string that cannot be read is refused before any file is made too.
        let config = try second.write(
            "clicktracker.json",
            #"{ "site": "site", "users": "\#(fixture.configuration.usersFile)", "port": 0, "postgres": { "dsn": "port=abc" } }"#
        )
        let badDSN = try await Self.run(["serve", "--config", config])
        #expect(badDSN.status != 0 && badDSN.output.contains("the port is not a number"), "\(badDSN.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: second.path).sorted() == ["clicktracker.json", "site"])
    }

    @Test("serve and report say in one line when the database cannot be written (even as root), and make no file")
    func unwritableDatabase() async throws {
        let directory = try TemporaryDirectory("cli-unwritable")
        defer { directory.remove() }
        let site = directory.file("site")
        try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
        #expect(
            try await Self.run(["user", "add", "chair", "--admin", "--users", directory.file("users.json")], input: "chair-passphrase\n").status == 0
        )
        let notes = try directory.write("notes.txt", "minutes\n")
        let config = try directory.write(
            "clicktracker.json",
            #"{ "site": "site", "users": "users.json", "port": 0, "database": "notes.txt/tracking.sqlite" }"#
        )
        let files = ["clicktracker.json", "notes.txt", "site", "users.json"]
        let belowFile = try await Self.run(["serve", "--config", config])
        #expect(belowFile.status != 0)
        #expect(
            belowFile.output
                == "Error: cannot write the database \(notes)/tracking.sqlite: \(notes) is a file, not a folder; choose another database file with --database (database in the configuration)\n",
            "\(belowFile.output)"
        )
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == files)
        let noFolder = try await Self.run(["serve", "--config", config, "--database", directory.file("gone/tracking.sqlite")])
        #expect(
            noFolder.status != 0
                && noFolder.output.contains(
                    "cannot write the database \(directory.file("gone/tracking.sqlite")): the folder \(directory.file("gone")) does not exist"
                ),
            "\(noFolder.output)"
        )
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == files)

        let folder = try await Self.run(["report", "readers", "--database", site])
        #expect(
            folder.status != 0
                && folder.output
                    == "Error: cannot write the database \(site): it is a folder, not a file; choose another database file with --database (database in the configuration)\n",
            "\(folder.output)"
        )
        let group = try await Self.run(["group", "list", "--database", "\(notes)/tracking.sqlite"])
        #expect(group.status != 0 && group.output.contains("\(notes) is a file, not a folder"), "\(group.output)")
    }

    @Test("db init creates the schema, is safe to run again, and explains what is wrong")
    func databaseInit() async throws {
        let (port, database) = try await PostgresServer.shared.createDatabase()
        let dsn = "host=127.0.0.1 port=\(port) user=postgres password=hunter2 dbname=\(database) sslmode=disable"
        let first = try await Self.run(["db", "init", "--dsn", dsn])
        #expect(first.status == 0)
        #expect(first.output.contains("created the ClickTracker schema (version 10)"))
        #expect(!first.output.contains("hunter2"))
        let second = try await Self.run(["db", "init", "--dsn", "postgres://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable"])
        #expect(second.status == 0)
        #expect(second.output.contains("is current"))
        let missing = try await Self.run(["db", "init", "--dsn", "host=127.0.0.1 port=\(port) user=postgres dbname=nope sslmode=disable"])
        #expect(missing.status != 0)
        #expect(missing.output.contains("database \"nope\" does not exist (SQLSTATE 3D000); create the database, or correct dbname"))
        try await PostgresServer.shared.createPasswordRole()
        let wrongPassword = try await Self.run([
            "db", "init", "--dsn",
            "host=127.0.0.1 port=\(port) user=\(PostgresServer.passwordRole) password=wrong dbname=\(database) sslmode=disable",
        ])
        #expect(wrongPassword.status != 0)
        #expect(
            wrongPassword.output.contains("password authentication failed for user \"\(PostgresServer.passwordRole)\"")
                && wrongPassword.output.contains("check user and password in the connection string"),
            "\(wrongPassword.output)"
        )
        let closedPort = try freePort()
        let unreachable = try await Self.run(["db", "init", "--dsn", "host=127.0.0.1 port=\(closedPort) user=postgres sslmode=disable"])
        #expect(unreachable.status != 0)
        #expect(
            unreachable.output
                == "Error: nothing is listening on 127.0.0.1:\(closedPort); is PostgreSQL running? (or check host and port in the connection string)\n",
            "\(unreachable.output)"
        )
        let noSocket = try await Self.run(["db", "init", "--dsn", "host=/nonexistent/run port=5999 user=postgres"])
        #expect(noSocket.status != 0)
        #expect(
            noSocket.output.contains("nothing is listening on the socket /nonexistent/run/.s.PGSQL.5999; is PostgreSQL running?"),
            "\(noSocket.output)"
        )
        let noHost = try await Self.run(["db", "init", "--dsn", "host=no-such-host.invalid user=postgres sslmode=disable"])
        #expect(noHost.status != 0 && noHost.output.contains("cannot find the host no-such-host.invalid; check host and port"), "\(noHost.output)")
        let malformed = try await Self.run(["db", "init", "--dsn", "port=abc"])
        #expect(malformed.status != 0)
        #expect(malformed.output.contains("invalid connection string"))
    }

    @Test("db init reads the connection string from --dsn, else CLICKTRACKER_POSTGRES_DSN, else --config's postgres.dsn; none says which to give")
    func databaseInitSources() async throws {
        let (port, database) = try await PostgresServer.shared.createDatabase()
        let directory = try TemporaryDirectory("cli-db")
        defer { directory.remove() }
        let good = "host=127.0.0.1 port=\(port) user=postgres password=hunter2 dbname=\(database) sslmode=disable"
        let closed = "host=127.0.0.1 port=\(try freePort()) user=postgres sslmode=disable"
        let config = try directory.write("clicktracker.json", #"{ "postgres": { "dsn": "\#(good)" } }"#)
        let fromFile = try await Self.run(["db", "init", "--config", config])
        #expect(fromFile.status == 0 && fromFile.output.contains("created the ClickTracker schema"), "\(fromFile.output)")
        #expect(!fromFile.output.contains("hunter2"))

        // The environment wins over the file, and --dsn over both.
        let closedConfig = try directory.write("closed.json", #"{ "postgres": { "dsn": "\#(closed)" } }"#)
        let fromEnvironment = try await Self.run(["db", "init", "--config", closedConfig], environment: ["CLICKTRACKER_POSTGRES_DSN": good])
        #expect(fromEnvironment.status == 0 && fromEnvironment.output.contains("is current"), "\(fromEnvironment.output)")
        let explicit = try await Self.run(
            ["db", "init", "--dsn", good, "--config", closedConfig],
            environment: ["CLICKTRACKER_POSTGRES_DSN": closed]
        )
        #expect(explicit.status == 0 && explicit.output.contains("is current"), "\(explicit.output)")
        let closedEnvironment = try await Self.run(["db", "init", "--config", config], environment: ["CLICKTRACKER_POSTGRES_DSN": closed])
        #expect(closedEnvironment.status != 0 && closedEnvironment.output.contains("nothing is listening on"), "\(closedEnvironment.output)")
        let badEnvironment = try await Self.run(["db", "init"], environment: ["CLICKTRACKER_POSTGRES_DSN": "port=abc"])
        #expect(badEnvironment.status != 0 && badEnvironment.output.contains("invalid connection string in CLICKTRACKER_POSTGRES_DSN: the port"))

        let none = try await Self.run(["db", "init"])
        #expect(none.status != 0)
        #expect(
            none.output.contains(
                "no PostgreSQL database given: use --dsn 'dbname=… host=… user=…', set CLICKTRACKER_POSTGRES_DSN, or give --config FILE with \"postgres\": { \"dsn\": … }"
            ),
            "\(none.output)"
        )
        let sqliteConfig = try directory.write("sqlite.json", #"{ "database": "tracking.sqlite" }"#)
        let noDSN = try await Self.run(["db", "init", "--config", sqliteConfig])
        #expect(noDSN.status != 0 && noDSN.output.contains("\(sqliteConfig) has no postgres.dsn: use --dsn"), "\(noDSN.output)")
    }

    @Test("db init migrates an old schema (the original slc.clicktracker's) and refuses a role without rights")
    func databaseInitOldSchemaAndRights() async throws {
        let (port, database) = try await PostgresServer.shared.createDatabase()
        try PostgresServer.psql(port: port, database: database, ["-c", SeedDatabase.sql])
        let dsn = "postgres://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable"
        let migrated = try await Self.run(["db", "init", "--dsn", dsn])
        #expect(migrated.status == 0)
        #expect(migrated.output.contains("migrated the tables of slc.clicktracker to the ClickTracker schema (version 10)"))
        let again = try await Self.run(["db", "init", "--dsn", dsn])
        #expect(again.output.contains("is current"))

        let (_, empty) = try await PostgresServer.shared.createDatabase()
        try PostgresServer.psql(port: port, database: empty, ["-c", "DROP ROLE IF EXISTS reader; CREATE ROLE reader LOGIN"])
        let refused = try await Self.run(["db", "init", "--dsn", "host=127.0.0.1 port=\(port) user=reader dbname=\(empty) sslmode=disable"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("permission denied for schema public"))
    }

    @Test(
        "spool status and spool retry show set-aside reads with their reasons and write them to the configured store; a running server's spool is refused"
    )
    func spoolRetry() async throws {
        let directory = try TemporaryDirectory("cli-spool")
        defer { directory.remove() }
        let config = try directory.write("clicktracker.json", #"{ "database": "tracking.sqlite", "spool": "tracking.spool" }"#)
        let spoolPath = directory.file("tracking.spool")
        #expect(try await Self.run(["spool", "status", "--config", config]).output.contains("there is no spool at"))
        do {
            let spool = try Spool(directory: spoolPath)
            try await spool.setAside([
                SetAsideEvent(event: StorageConformance.event("alice", "/p/a"), reason: "PostgreSQL said: no (SQLSTATE P0001)"),
                SetAsideEvent(event: StorageConformance.event("bob", "/p/a"), reason: "PostgreSQL said: no (SQLSTATE P0001)"),
            ])
            // While a server holds the spool, the command says what to do instead.
            let busy = try await Self.run(["spool", "retry", "--config", config])
            #expect(busy.status != 0 && busy.output.contains("use the Storage page, or stop the server first"), "\(busy.output)")
            await spool.close()
        }
        let status = try await Self.run(["spool", "status", "--config", config])
        #expect(status.status == 0)
        #expect(status.output.contains("2 reads are set aside"), "\(status.output)")
        #expect(status.output.contains("2 × PostgreSQL said: no (SQLSTATE P0001)"))
        let retried = try await Self.run(["spool", "retry", "--config", config])
        #expect(retried.status == 0 && retried.output.contains("Put 2 set-aside reads back"), "\(retried.output)")
        #expect(retried.output.contains("No reads are set aside."))
        let store = try await SQLiteStore.open(path: directory.file("tracking.sqlite"))
        #expect(try await store.accessLog(AccessLogQuery(section: .root)).entries.map(\.member).sorted() == ["alice", "bob"])
        try await store.close()
        #expect(try await Self.run(["spool", "status", "--config", config]).output.contains("No reads are waiting"))
    }
}
