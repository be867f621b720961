import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTrackerServer

@Suite("Server configuration")
struct ServerConfigurationTests {
    @Test("A JSON file sets every key; relative paths are taken relative to the file")
    func fromFile() async throws {
        let directory = try TemporaryDirectory("config")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file("docs"), withIntermediateDirectories: true)
        let file = try directory.write(
            "conf/clicktracker.json",
            """
            {
              "host": "0.0.0.0", "port": 9000, "site": "../docs", "users": "people.json", "database": "/var/tmp/ct.sqlite",
              "key": { "file": "secret.key" }, "collector": { "path": "/_ct" },
              "sections": { "initial": ["/papers"], "ignore": ["/papers/cover.html"] },
              "cookies": { "secure": true }, "token": { "lifetime": 600 },
              "retention": { "days": 365, "everything": true }
            }
            """
        )
        let configuration = try await ServerConfiguration.load(file: file)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9000)
        #expect(configuration.siteDirectory == directory.file("docs"))
        #expect(configuration.usersFile == directory.file("conf/people.json"))
        #expect(configuration.databasePath == "/var/tmp/ct.sqlite")
        #expect(configuration.keyFile == directory.file("conf/secret.key"))
        #expect(configuration.collectorPath == "/_ct")
        #expect(configuration.initialSections == ["/papers"])
        #expect(configuration.ignoredPaths == ["/papers/cover.html"])
        #expect(configuration.secureCookies)
        #expect(configuration.tokenLifetime == 600)
        #expect(configuration.retentionDays == 365 && configuration.retentionEverything)
        try configuration.validate()
    }

    @Test(
        "A file that is not JSON is refused with its line and column; a misspelt setting with the one it meant; a value of the wrong type with what it must be"
    )
    func checkedFile() async throws {
        let directory = try TemporaryDirectory("config-check")
        defer { directory.remove() }
        func refusal(_ text: String) async throws -> String {
            let file = try directory.write("clicktracker.json", text)
            do {
                _ = try await ServerConfiguration.load(file: file)
                return "accepted"
            } catch {
                return "\(error)".replacingOccurrences(of: file, with: "FILE")
            }
        }
        #expect(
            try await refusal("{\n  \"port\": 8094,\n  \"site\": \"x\"\n  \"users\": \"u.json\"\n}").hasPrefix(
                "invalid configuration: FILE, line 4, column 3: this is not valid JSON"
            )
        )
        #expect(try await refusal(#"{ "prot": 8094 }"#) == #"invalid configuration: FILE: there is no setting "prot"; did you mean "port"?"#)
        #expect(
            try await refusal(#"{ "key": { "flie": "k" } }"#)
                == #"invalid configuration: FILE: there is no setting "key.flie"; did you mean "key.file"?"#
        )
        #expect(try await refusal(#"{ "colour": "blue" }"#).contains(#"there is no setting "colour"; the settings here are attention, collector"#))
        #expect(try await refusal(#"{ "port": "8094" }"#) == #"invalid configuration: FILE: "port" must be a whole number, not "8094""#)
        #expect(try await refusal(#"{ "port": 80.5 }"#) == #"invalid configuration: FILE: "port" must be a whole number, not 80.5"#)
        #expect(
            try await refusal(#"{ "cookies": { "secure": 1 } }"#) == #"invalid configuration: FILE: "cookies.secure" must be true or false, not 1"#
        )
        #expect(try await refusal(#"{ "sections": { "initial": "/papers" } }"#).contains(#""sections.initial" must be a list of texts in quotes"#))
        #expect(try await refusal(#"{ "retention": 30 }"#).contains(#""retention" must be a group of settings in { }, not 30"#))
        #expect(try await refusal("[1, 2]").contains("must hold one JSON object"))
        #expect(try await refusal(#"{ "port": 8094, "cookies": { "secure": false }, "token": { "lifetime": 600 } }"#) == "accepted")
        let missing = directory.file("missing.json")
        do {
            _ = try await ServerConfiguration.load(file: missing)
            Issue.record("a missing file was accepted")
        } catch {
            #expect("\(error)" == "invalid configuration: cannot read \(missing): No such file or directory")
        }
    }

    @Test("Values that cannot work are refused with a clear message")
    func invalid() {
        var configuration = ServerConfiguration()
        configuration.port = 70000
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = ServerConfiguration()
        configuration.collectorPath = "/"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = ServerConfiguration()
        configuration.initialSections = ["/"]
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = ServerConfiguration()
        configuration.keySecret = "dG9vIHNob3J0"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = ServerConfiguration()
        configuration.siteDirectory = "/does/not/exist"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = ServerConfiguration()
        configuration.retentionDays = 0
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        // A view still in a spool must be younger than the period.
        configuration.retentionDays = 1
        configuration.tokenLifetime = 2 * 86_400
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }

    @Test("Instances with the same key.secret accept each other's tokens; a key file is created 0600")
    func keys() throws {
        let directory = try TemporaryDirectory("keys")
        defer { directory.remove() }
        var fileOnly = ServerConfiguration()
        fileOnly.keyFile = directory.file("ct.key")
        let fileKey = try fileOnly.loadKey()
        let permissions = try FileManager.default.attributesOfItem(atPath: fileOnly.keyFile)[.posixPermissions] as? Int
        #expect(permissions == 0o600)

        let secret = Data(repeating: 42, count: 32).base64EncodedString()
        var first = ServerConfiguration()
        first.keyFile = directory.file("first.key")
        first.keySecret = secret
        var second = ServerConfiguration()
        second.keyFile = directory.file("second.key")
        second.keySecret = secret
        try first.validate()
        let token = ViewTokenSigner(secret: try first.loadKey()).mint(member: "alice", document: .init(path: "/p"), url: "/p")
        #expect(throws: Never.self) { try ViewTokenSigner(secret: try second.loadKey()).verify(token, member: "alice") }
        #expect(throws: ViewTokenSigner.VerificationError.badSignature) { try ViewTokenSigner(secret: fileKey).verify(token, member: "alice") }
        #expect(!FileManager.default.fileExists(atPath: first.keyFile))
    }
}

@Suite("The demo")
struct DemoTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples/BoardPack").path

    @Test("The README's demo configuration is valid and its users sign in with the documented passwords")
    func demo() async throws {
        let configuration = try await ServerConfiguration.load(file: Self.directory + "/clicktracker.json")
        try configuration.validate()
        #expect(configuration.initialSections == ["/papers"])
        #expect(FileManager.default.fileExists(atPath: configuration.siteDirectory! + "/papers/budget-2027.html"))
        let users = UserDirectory(path: configuration.usersFile)
        #expect(try await users.authenticate(name: "alice", password: "alice-reads")?.role == .member)
        #expect(try await users.authenticate(name: "bob", password: "bob-reads")?.role == .member)
        #expect(try await users.authenticate(name: "chair", password: "chair-admin")?.role == .admin)
    }
}
