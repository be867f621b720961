import ClickTracker
import ClickTrackerTestSupport
import Foundation
import SQLiteNIO
import Testing

@testable import ClickTrackerSQLite

@Suite("SQLite store (real file)")
struct SQLiteStoreTests {
    @Test("Storage contract", arguments: StorageConformance.allCases)
    func conformance(_ check: StorageConformance) async throws {
        let directory = try TemporaryDirectory("sqlite-store")
        defer { directory.remove() }
        let store = try await SQLiteStore.open(path: directory.file("ct.sqlite"))
        let second = try await SQLiteStore.open(path: directory.file("ct.sqlite"))
        do {
            try await check.run(store, second: second)
        } catch {
            try? await second.close()
            try? await store.close()
            throw error
        }
        try await second.close()
        try await store.close()
    }

    func log(_ store: SQLiteStore, _ section: String) async throws -> AccessLogPage {
        try await store.accessLog(AccessLogQuery(section: try SectionPath(section)))
    }

    @Test("Reopening keeps data and schema; the file is in WAL mode")
    func reopen() async throws {
        let directory = try TemporaryDirectory("sqlite-reopen")
        defer { directory.remove() }
        let path = directory.file("ct.sqlite")
        let store = try await SQLiteStore.open(path: path)
        try await store.record([StorageConformance.event("alice", "/p/a.html")])
        try await store.close()
        let reopened = try await SQLiteStore.open(path: path)
        #expect(try await reopened.schemaVersion() == SQLiteSchema.currentVersion)
        #expect(try await log(reopened, "/p").total == 1)
        try await reopened.close()
        let raw = try await SQLiteConnection.open(storage: .file(path: path))
        #expect(try await raw.query("PRAGMA journal_mode").first?.column("journal_mode")?.string == "wal")
        try await raw.close()
    }

    @Test("A database from a newer version is refused with a clear error")
    func newerSchema() async throws {
        let directory = try TemporaryDirectory("sqlite-newer")
        defer { directory.remove() }
        let path = directory.file("ct.sqlite")
        let raw = try await SQLiteConnection.open(storage: .file(path: path))
        _ = try await raw.query("PRAGMA user_version = 99")
        try await raw.close()
        await #expect {
            try await SQLiteStore.open(path: path)
        } throws: { error in
            "\(error)".contains("schema version 99")
        }
    }
}
