import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting

@testable import ClickTrackerSQLite
@testable import ClickTrackerServer

/// A temporary site, users file, key and database, and a server on a free loopback port.
struct ServerFixture {
    static let passwords = ["alice": "alice-pass", "bob": "bob-pass", "chair": "chair-pass"]

    let directory: TemporaryDirectory
    var configuration: ServerConfiguration

    init(extraFiles: [String: String] = [:]) async throws {
        directory = try TemporaryDirectory("server")
        try directory.write("site/index.html", Self.document(title: "Portal", body: "<a href=\"papers/\">Papers</a>"))
        try directory.write("site/papers/index.html", Self.document(title: "Agenda", body: "<a href=\"budget.html\">Budget</a>"))
        try directory.write("site/papers/budget.html", Self.document(title: "Budget 2027", body: "<p>The budget.</p>"))
        try directory.write("site/papers/ignored.html", Self.document(title: "Cover sheet", body: "<p>Ignored by configuration.</p>"))
        try directory.write("site/papers/report.pdf", "%PDF-1.4 not really")
        try directory.write("site/papers/annex/appendix.html", Self.document(title: "Appendix", body: "<p>A folder without index.</p>"))
        try directory.write("site/public/notice.html", Self.document(title: "Notice", body: "<p>Untracked.</p>"))
        for (name, contents) in extraFiles { try directory.write("site/" + name, contents) }
        let users = UserDirectory(path: directory.file("users.json"))
        try users.setUser(name: "alice", password: Self.passwords["alice"]!, role: .member, cost: 4)
        try users.setUser(name: "bob", password: Self.passwords["bob"]!, role: .member, cost: 4)
        try users.setUser(name: "chair", password: Self.passwords["chair"]!, role: .admin, cost: 4)
        configuration = ServerConfiguration()
        configuration.port = 0
        configuration.siteDirectory = directory.file("site")
        configuration.usersFile = directory.file("users.json")
        configuration.databasePath = directory.file("clicktracker.sqlite")
        configuration.keyFile = directory.file("clicktracker.key")
        configuration.spoolDirectory = directory.file("clicktracker.spool")
        configuration.initialSections = ["/papers"]
        configuration.ignoredPaths = ["/papers/ignored.html"]
    }

    /// A fixture whose server runs in front of `upstream` (proxy mode) instead of serving a folder.
    static func proxying(_ upstream: String) async throws -> ServerFixture {
        var fixture = try await ServerFixture()
        fixture.configuration.siteDirectory = nil
        fixture.configuration.upstream = upstream
        return fixture
    }

    static func document(title: String, body: String) -> String {
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>\(title)</title></head><body>\(body)</body></html>"
    }

    /// Runs the server for the duration of `body`, which gets its port.
    func withServer(_ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        let app = try await ClickTrackerServer.makeApplication(configuration: configuration)
        try await app.test(.live) { client in
            try await body(client.port!)
        }
    }

    /// Opens the server's database file for checking what was recorded.
    func store() async throws -> SQLiteStore {
        try await SQLiteStore.open(path: configuration.databasePath)
    }

    /// The access log under a section, straight from the database.
    func accessLog(_ section: String) async throws -> [AccessLogEntry] {
        let store = try await store()
        let entries = try await store.accessLog(AccessLogQuery(section: try SectionPath(section), limit: 1000)).entries
        try await store.close()
        return entries
    }

    /// The readers under a section (per member and document), straight from the database.
    func readers(_ section: String) async throws -> [ReaderSummary] {
        let store = try await store()
        let readers = try await store.readers(ReadersQuery(section: try SectionPath(section), limit: 1000)).readers
        try await store.close()
        return readers
    }

    /// The reading requests, straight from the database.
    func readingRequests() async throws -> [ReadingRequest] {
        let store = try await store()
        let requests = try await store.readingRequests()
        try await store.close()
        return requests
    }

    /// Marks a section with a policy in the database, before the server starts.
    func track(_ section: String, policy: ReadingPolicy) async throws {
        let store = try await store()
        try await store.setTracked(try SectionPath(section), true)
        try await store.setPolicy(policy, for: try SectionPath(section))
        try await store.close()
    }

    /// The tracked sections, straight from the database.
    func trackedSections() async throws -> [SectionPath] {
        let store = try await store()
        let sections = try await store.trackedSections().map(\.path)
        try await store.close()
        return sections
    }

    func remove() { directory.remove() }
}

extension HTTPSession {
    /// Opens a tracked page and sends its view beacon, as the page's script would; returns its token.
    @discardableResult
    func view(_ path: String) async throws -> String {
        guard let token = viewToken(in: try await get(path).body) else { throw FixtureError("\(path) carries no view token") }
        let beacon = try await post("/_clicktracker/beacon", form: [("event", "view"), ("token", token)])
        guard beacon.status == 204 else { throw FixtureError("the view beacon for \(path) was answered \(beacon.status)") }
        return token
    }

    /// Signs in through the form, as a browser would; returns the final reply.
    @discardableResult
    func signIn(_ name: String, password: String? = nil, next: String = "/") async throws -> Reply {
        let form = try await get("/_clicktracker/login?next=\(HTTPSession.encode(next))")
        let csrf = try csrfToken(in: form.body, last: true)
        return try await post(
            "/_clicktracker/login",
            form: [("csrf", csrf), ("next", next), ("username", name), ("password", password ?? ServerFixture.passwords[name] ?? "")]
        )
    }

    /// The value of the last (or first) `name="csrf"` hidden field in a page.
    nonisolated func csrfToken(in html: String, last: Bool = false) throws -> String {
        let values = html.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        guard let value = last ? values.last : values.first else { throw FixtureError("no CSRF field in page") }
        return value
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The token in a tracked page's injected tag.
func viewToken(in html: String) -> String? {
    guard let range = html.range(of: "data-token=\"") else { return nil }
    return String(html[range.upperBound...].prefix { $0 != "\"" })
}

/// Starts the `clicktracker` binary with `serve --config … --port 0` (and `environment` added to
/// this process's, under an open-file limit if given); returns the process and the port it
/// printed. Its output goes to the file `output`.
func startServerProcess(
    config: String,
    output: String,
    environment: [String: String] = [:],
    openFileLimit: Int? = nil
) async throws -> (ChildProcess, Int) {
    let arguments = ["serve", "--config", config, "--port", "0"]
    let process = try ChildProcess(
        openFileLimit == nil ? CrashTests.binary : "/bin/sh",
        openFileLimit.map { ["-c", "ulimit -n \($0) && exec \"$0\" \"$@\"", CrashTests.binary] + arguments } ?? arguments,
        environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new },
        output: output
    )
    var port: Int?
    _ = try await eventually(seconds: 30) {
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        if let range = text.range(of: "listening on http://127.0.0.1:") {
            port = Int(text[range.upperBound...].prefix { $0.isNumber })
        }
        return port != nil || !process.isRunning
    }
    guard let port else {
        throw FixtureError("the server did not start: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
    }
    return (process, port)
}
