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

    @Test("A version 1 file is upgraded when opened: its reads are kept, summarised per reader, and take reports")
    func upgradeFromVersion1() async throws {
        let directory = try TemporaryDirectory("sqlite-v1")
        defer { directory.remove() }
        let path = directory.file("ct.sqlite")
        let raw = try await SQLiteConnection.open(storage: .file(path: path))
        for statement in SQLiteSchema.migrations[0] { _ = try await raw.query(statement) }
        _ = try await raw.query("PRAGMA user_version = 1")
        _ = try await raw.query("INSERT INTO document (id, key, path, title, seen_at) VALUES (1, '/p/a', '/p/a', 'A', 1000)")
        _ = try await raw.query(
            """
            INSERT INTO view (render_id, member, document_id, url, issued_at, viewed_at)
            VALUES ('r1', 'alice', 1, '/p/a', 1000, 2000), ('r2', 'alice', 1, '/p/a', 3000, 4000), ('r3', 'bob', 1, '/p/a', 5000, 6000)
            """
        )
        try await raw.close()

        let store = try await SQLiteStore.open(path: path)
        #expect(try await store.schemaVersion() == SQLiteSchema.currentVersion)
        let readers = try await store.readers(ReadersQuery(section: try SectionPath("/p"))).readers
        #expect(readers.map(\.member) == ["alice", "bob"])
        #expect(readers.map(\.views) == [2, 1])
        #expect(readers[0].firstView == Date(timeIntervalSince1970: 2) && readers[0].lastView == Date(timeIntervalSince1970: 4))
        let report = ViewEvent(
            kind: .report,
            member: "bob",
            document: DocumentReference(path: "/p/a"),
            url: "/p/a",
            renderID: "r3",
            issuedAt: Date(timeIntervalSince1970: 5),
            viewedAt: Date(timeIntervalSince1970: 16),
            attention: Attention(sequence: 1, activeMilliseconds: 20_000, scrollPercent: 100, reachedEnd: true, automated: false)
        )
        #expect(try await store.record([report]) == [.recorded])
        // Ten seconds passed since the view was received.
        #expect(try await store.readers(ReadersQuery(section: try SectionPath("/p"))).readers[1].versions[0].activeMilliseconds == 10_000)
        try await store.close()
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
