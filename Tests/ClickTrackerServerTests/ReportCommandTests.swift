import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTracker
@testable import ClickTrackerSQLite
@testable import ClickTrackerServer

/// `clicktracker report` and `clicktracker purge --older-than`, run as the binary on a real SQLite file.
@Suite("Command line reports and retention")
struct ReportCommandTests {
    /// A view of `path` by `member`, `daysAgo` days ago.
    static func view(_ member: String, _ path: String, daysAgo: Double) -> ViewEvent {
        var event = StorageConformance.event(member, path)
        event.viewedAt = Date().addingTimeInterval(-daysAgo * 86_400)
        event.issuedAt = event.viewedAt.addingTimeInterval(-1)
        return event
    }

    @Test("report prints the page's tables as text, CSV and JSON; a long export streams with its progress; each run is audited")
    func reports() async throws {
        let directory = try TemporaryDirectory("cli-report")
        defer { directory.remove() }
        let config = try directory.write("clicktracker.json", #"{ "database": "tracking.sqlite" }"#)
        let store = try await SQLiteStore.open(path: directory.file("tracking.sqlite"))
        // 2,500 readers of one paper (more than two chunks), and alice of a second one.
        try await store.record((0..<2500).map { Self.view(String(format: "m%04d", $0), "/papers/a", daysAgo: 1) })
        try await store.record([Self.view("alice", "/papers/b", daysAgo: 1), Self.view("alice", "/papers/a", daysAgo: 1)])
        try await store.setGroup(
            "board",
            members: [Person(member: "alice", displayName: "=Alice, \"the chair\""), Person(member: "m0007", displayName: "Seven \u{1B}[31mred")]
        )
        try await store.close()

        let table = try await CommandLineTests.run(["report", "access-log", "--section", "/papers/b", "--config", config])
        #expect(table.status == 0, "\(table.output)")
        let lines = table.output.components(separatedBy: "\n")
        #expect(lines.first == "section: /papers/b")
        // A terminal gets the columns that fit it; --columns all gives the rest.
        #expect(lines[2] == "user   url        count  first_access          last_access", "\(table.output)")
        #expect(lines[4].hasPrefix("alice  /papers/b  1      20"), "\(table.output)")
        #expect(lines.contains("1 of 1 rows"))
        let wide = try await CommandLineTests.run(["report", "access-log", "--section", "/papers/b", "--columns", "all", "--config", config])
        let wideLines = wide.output.components(separatedBy: "\n")
        #expect(wideLines[2].hasPrefix("user   name                 url        title  count  first_access"))
        #expect(wideLines[4].hasPrefix("alice  =Alice, \"the chair\"  /papers/b         1      20"), "\(wide.output)")

        let csvFile = directory.file("log.csv")
        let long = try await CommandLineTests.run([
            "report", "access-log", "--section", "/papers", "--format", "csv", "-o", csvFile, "--config", config,
        ])
        #expect(long.status == 0)
        // Progress goes to standard error, a line per tenth; the file holds the report only.
        #expect(long.output.contains("1000 of 2502 rows (39%)") && long.output.hasSuffix("2502 of 2502 rows (100%)\n"), "\(long.output)")
        let csv = try PeopleCSV.records(try String(contentsOfFile: csvFile, encoding: .utf8))
        #expect(csv.count == 2503 && csv[0] == ["user", "name", "url", "title", "count", "first_access", "last_access"])
        #expect(csv[1][0...2] == ["alice", "'=Alice, \"the chair\"", "/papers/a"] && csv[2502][0] == "m2499")
        #expect(Set(csv.dropFirst().map { "\($0[0]) \($0[2])" }).count == 2502)

        let jsonFile = directory.file("readers.json")
        let json = try await CommandLineTests.run([
            "report", "readers", "--section", "/papers", "--sort", "member", "--descending", "--format", "json", "--output", jsonFile, "--config",
            config,
        ])
        #expect(json.status == 0)
        let readers = try JSONValue.parse(try String(contentsOfFile: jsonFile, encoding: .utf8))
        #expect(readers["report"] == .string("readers") && readers["total"] == .integer(2502))
        #expect(readers["rows"]?.array?.count == 2502 && readers["rows"]?.array?.first?["user"] == .string("m2499"))

        let history = try await CommandLineTests.run(["report", "history", "--user", "alice", "--format", "csv", "--config", config])
        #expect(try PeopleCSV.records(history.output).dropFirst().map { $0[2] } == ["/papers/a", "/papers/b"])

        // A terminal never gets a value's control characters (an escape sequence in a name).
        let escape = try await CommandLineTests.run(["report", "history", "--user", "m0007", "--columns", "user,name", "--config", config])
        #expect(escape.status == 0 && escape.output.contains("m0007  Seven  [31mred") && !escape.output.contains("\u{1B}"), "\(escape.output)")

        // A report that fails leaves an existing output file as it was.
        let kept = try directory.write("kept.csv", "earlier report\n")
        let failed = try await CommandLineTests.run(["report", "request", "99", "-o", kept, "--config", config])
        let after = try String(contentsOfFile: kept, encoding: .utf8)
        #expect(failed.status != 0 && after == "earlier report\n")
        #expect(!FileManager.default.fileExists(atPath: kept + ".partial"))

        let missing = try await CommandLineTests.run(["report", "request", "99", "--config", config])
        #expect(missing.status != 0 && missing.output.contains("there is no reading request 99"))
        let badSection = try await CommandLineTests.run(["report", "readers", "--section", "papers", "--config", config])
        #expect(badSection.status != 0 && badSection.output.contains("--section must be an absolute path"))
        let badFormat = try await CommandLineTests.run(["report", "readers", "--format", "xml", "--config", config])
        #expect(badFormat.status != 0 && badFormat.output.contains("'xml' is invalid"))

        let audit = try await CommandLineTests.run(["report", "audit", "--format", "csv", "--config", config])
        let entries = try PeopleCSV.records(audit.output).dropFirst().map { "\($0[2]) \($0[3])" }
        #expect(
            entries == [
                "audit csv ", "history table m0007", "history csv alice", "readers json /papers", "access-log csv /papers",
                "access-log table /papers/b", "access-log table /papers/b",
            ]
        )
        #expect(try PeopleCSV.records(audit.output)[1][1].hasPrefix("cli:"))
    }

    @Test("A table shows the columns that fit a terminal, --columns chooses others (a wrong name lists them), CSV and JSON keep all")
    func columns() async throws {
        let directory = try TemporaryDirectory("cli-columns")
        defer { directory.remove() }
        let config = try directory.write("clicktracker.json", #"{ "database": "tracking.sqlite" }"#)
        let store = try await SQLiteStore.open(path: directory.file("tracking.sqlite"))
        try await store.record([Self.view("alice", "/papers/a", daysAgo: 1)])
        try await store.close()
        func header(_ arguments: [String]) async throws -> [String] {
            let run = try await CommandLineTests.run(["report"] + arguments + ["--config", config])
            #expect(run.status == 0, "\(run.output)")
            // The table's header follows what the report is about and an empty line.
            let lines = run.output.components(separatedBy: "\n")
            return lines.drop { !$0.isEmpty }.dropFirst().first?.split(separator: " ").map(String.init) ?? []
        }
        #expect(try await header(["readers"]) == ["user", "path", "verdict", "counts_as_read", "last_view"])
        #expect(try await header(["history", "--user", "alice"]) == ["path", "verdict", "counts_as_read", "views", "last_view"])
        #expect(try await header(["readers", "--columns", "name, user ,views"]) == ["name", "user", "views"])
        #expect(try await header(["readers", "--columns", "all"]) == Reports.readerColumns)

        let csv = try await CommandLineTests.run(["report", "readers", "--format", "csv", "--config", config])
        #expect(try PeopleCSV.records(csv.output).first == Reports.readerColumns)
        let chosen = try await CommandLineTests.run(["report", "readers", "--format", "csv", "--columns", "user,verdict", "--config", config])
        #expect(chosen.output == "user,verdict\r\nalice,opened\r\n", "\(chosen.output)")
        let json = try await CommandLineTests.run(["report", "readers", "--format", "json", "--columns", "user,views", "--config", config])
        let parsed = try JSONValue.parse(json.output)
        #expect(parsed["columns"] == .array([.string("user"), .string("views")]))
        #expect(parsed["rows"]?.array?.first == .object(["user": .string("alice"), "views": .integer(1)]))

        let wrong = try await CommandLineTests.run(["report", "readers", "--columns", "user,member", "--config", config])
        #expect(wrong.status != 0)
        #expect(
            wrong.output
                == "Error: --columns: the readers report has no column 'member'; choose from \(Reports.readerColumns.joined(separator: ", "))\n",
            "\(wrong.output)"
        )
    }

    @Test("report request sorts its readers by status (the default), name or documents read, either way")
    func requestOrder() async throws {
        let directory = try TemporaryDirectory("cli-request-order")
        defer { directory.remove() }
        let config = try directory.write("clicktracker.json", #"{ "database": "tracking.sqlite" }"#)
        let store = try await SQLiteStore.open(path: directory.file("tracking.sqlite"))
        try await store.setTracked(try SectionPath("/p"), true)
        try await store.setPolicy(ReadingPolicy(maximumSeconds: 20, minimumSeconds: 5), for: try SectionPath("/p"))
        // alice read both papers, bob one, carol opened one, dave none.
        var events: [ViewEvent] = []
        for (member, path, active) in [("alice", "/p/x", 25_000), ("alice", "/p/y", 25_000), ("bob", "/p/x", 25_000), ("carol", "/p/x", 0)] {
            let view = StorageConformance.event(member, path, at: 10)
            events += [view, StorageConformance.report(view, at: 40, active: active)]
        }
        try await store.record(events)
        try await store.setGroup(
            "board",
            members: [
                Person(member: "alice", displayName: "Young, Alice"), Person(member: "bob", displayName: "Baker, Bob"),
                Person(member: "carol", displayName: "Archer, Carol"), Person(member: "dave", displayName: "Doe, Dave"),
            ]
        )
        let id = try await store.addReadingRequest(
            ReadingRequest(
                title: "Board",
                path: try SectionPath("/p"),
                documents: ["/p/x", "/p/y"],
                group: "board",
                members: [],
                deadline: Date().addingTimeInterval(86_400),
                timeZone: "UTC",
                createdBy: "chair"
            )
        )
        try await store.close()
        func readers(_ arguments: [String]) async throws -> [String] {
            let run = try await CommandLineTests.run(
                ["report", "request", String(id), "-f", "csv", "--columns", "user"] + arguments + ["--config", config]
            )
            #expect(run.status == 0, "\(run.output)")
            // A row per reader and document: each reader once.
            return try PeopleCSV.records(run.output).dropFirst().map { $0[0] }.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        }
        #expect(try await readers([]) == ["dave", "carol", "bob", "alice"])
        #expect(try await readers(["--sort", "status", "--descending"]) == ["alice", "bob", "carol", "dave"])
        #expect(try await readers(["--sort", "name"]) == ["carol", "bob", "dave", "alice"])
        #expect(try await readers(["--sort", "name", "--descending"]) == ["alice", "dave", "bob", "carol"])
        #expect(try await readers(["--sort", "read"]) == ["carol", "dave", "bob", "alice"])
        #expect(try await readers(["--sort", "read", "--descending"]) == ["alice", "bob", "carol", "dave"])

        let table = try await CommandLineTests.run(["report", "request", String(id), "--config", config])
        let header = table.output.components(separatedBy: "\n").first { $0.hasPrefix("user") }
        #expect(header?.split(separator: " ") == ["user", "name", "reader_status", "documents_read", "path", "status"], "\(table.output)")
        let badSort = try await CommandLineTests.run(["report", "request", String(id), "--sort", "views", "--config", config])
        #expect(badSort.status != 0 && badSort.output.contains("'views' is invalid"), "\(badSort.output)")
    }

    @Test("report never creates an empty database: where there is none it names the path and the options, and exits non-zero")
    func reportWithoutDatabase() async throws {
        let directory = try TemporaryDirectory("cli-report-none")
        defer { directory.remove() }
        let config = try directory.write("clicktracker.json", #"{ "database": "tracking.sqlite" }"#)
        let missing = try await CommandLineTests.run(["report", "readers", "--config", config])
        #expect(missing.status != 0)
        #expect(
            missing.output
                == "Error: there is no data at \(directory.file("tracking.sqlite")) (no database file there): give the server's configuration with --config FILE, or its database with --database FILE\n",
            "\(missing.output)"
        )
        #expect(!FileManager.default.fileExists(atPath: directory.file("tracking.sqlite")))
        let unconfigured = try await CommandLineTests.run(["report", "access-log", "--format", "csv"])
        #expect(unconfigured.status != 0 && unconfigured.output.contains("/clicktracker.sqlite (no database file there)"), "\(unconfigured.output)")
        let purge = try await CommandLineTests.run(["purge", "--user", "alice", "--yes", "--database", directory.file("other.sqlite")])
        #expect(purge.status != 0 && purge.output.contains("there is no data at \(directory.file("other.sqlite"))"), "\(purge.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["clicktracker.json"])

        // --database names the file directly.
        let store = try await SQLiteStore.open(path: directory.file("tracking.sqlite"))
        try await store.record([Self.view("alice", "/papers/a", daysAgo: 1)])
        try await store.close()
        let found = try await CommandLineTests.run(["report", "readers", "--format", "csv", "--database", directory.file("tracking.sqlite")])
        #expect(found.status == 0 && found.output.contains("alice,,/papers/a"), "\(found.output)")
    }

    @Test("purge --older-than removes old views and keeps the summaries, or with --everything removes those too; only with --yes")
    func retention() async throws {
        let directory = try TemporaryDirectory("cli-retention")
        defer { directory.remove() }
        let config = try directory.write("clicktracker.json", #"{ "database": "tracking.sqlite" }"#)
        let store = try await SQLiteStore.open(path: directory.file("tracking.sqlite"))
        try await store.record([
            Self.view("alice", "/p/a", daysAgo: 400), Self.view("bob", "/p/a", daysAgo: 100), Self.view("bob", "/p/b", daysAgo: 1),
        ])
        try await store.close()
        func state() async throws -> (views: Int, log: [String]) {
            let store = try await SQLiteStore.open(path: directory.file("tracking.sqlite"))
            defer { Task { try? await store.close() } }
            let log = try await store.accessLog(AccessLogQuery(section: .root)).entries.map { "\($0.member) \($0.url)" }
            return (try await store.statistics().views, log)
        }

        let unconfirmed = try await CommandLineTests.run(["purge", "--older-than", "365", "--config", config])
        #expect(unconfirmed.status != 0 && unconfirmed.output.contains("add --yes to confirm"))
        // A period shorter than a token's lifetime could bring spooled views back: refused.
        let lifetime = try directory.write("long-tokens.json", #"{ "database": "tracking.sqlite", "token": { "lifetime": 864000 } }"#)
        let short = try await CommandLineTests.run(["purge", "--older-than", "5", "--yes", "--config", lifetime])
        #expect(short.status != 0 && short.output.contains("--older-than must be longer than token.lifetime (864000 seconds)"))
        let both = try await CommandLineTests.run(["purge", "--older-than", "365", "--user", "bob", "--yes", "--config", config])
        #expect(both.status != 0 && both.output.contains("give either --user or --older-than"))
        #expect(try await state().views == 3)

        let kept = try await CommandLineTests.run(["purge", "--older-than", "365", "--yes", "--config", config])
        #expect(kept.status == 0 && kept.output == "Removed 1 views older than 365 days\n", "\(kept.output)")
        #expect(try await state() == (2, ["alice /p/a", "bob /p/a", "bob /p/b"]))

        let everything = try await CommandLineTests.run(["purge", "--older-than", "30", "--everything", "--yes", "--config", config])
        #expect(everything.status == 0 && everything.output.hasPrefix("Removed 1 views older than 30 days, and the summaries"))
        #expect(try await state() == (1, ["bob /p/b"]))
    }

    @Test("A server with retention.days removes the older views when it starts, and keeps the summaries")
    func serverRetention() async throws {
        var configured = try await ServerFixture()
        configured.configuration.retentionDays = 30
        let fixture = configured
        defer { fixture.remove() }
        let store = try await fixture.store()
        try await store.record([Self.view("alice", "/papers/budget.html", daysAgo: 100), Self.view("bob", "/papers/budget.html", daysAgo: 2)])
        try await store.close()
        try await fixture.withServer { _ in
            let purged = try await eventually {
                let store = try await fixture.store()
                let views = try await store.statistics().views
                try await store.close()
                return views == 1
            }
            #expect(purged)
        }
        #expect(try await fixture.accessLog("/papers").map(\.member) == ["alice", "bob"])
    }
}
