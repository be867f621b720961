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

    @Test("Evidence log: one chain from two instances; retention and purges keep it verifiable; rows edited, deleted or added in SQL are caught")
    func evidenceLog() async throws {
        let directory = try TemporaryDirectory("sqlite-evidence")
        defer { directory.remove() }
        let path = directory.file("ct.sqlite")
        try await withStore(path) { store in
            try await withStore(path) { second in
                try await EvidenceLogCheck.run(store, second: second) { sql in
                    let raw = try await SQLiteConnection.open(storage: .file(path: path))
                    do {
                        _ = try await raw.query(sql)
                    } catch {
                        try? await raw.close()
                        throw error
                    }
                    try await raw.close()
                }
            }
        }
    }

    @Test("A database upgraded to schema version 10 begins its evidence log with the rows it held, which verify")
    func evidenceAdopted() async throws {
        let directory = try TemporaryDirectory("sqlite-adopt")
        defer { directory.remove() }
        let path = directory.file("ct.sqlite")
        let alice = StorageConformance.event("alice", "/p/a.html")
        try await withStore(path) { store in
            try await store.record([alice, StorageConformance.event("bob", "/p/a.html")])
            try await store.record([StorageConformance.report(alice, .acknowledgement, at: 5)])
        }
        // As a version 9 file was: no log.
        let raw = try await SQLiteConnection.open(storage: .file(path: path))
        for statement in ["DROP TABLE evidence_entry", "DROP TABLE evidence_checkpoint", "DROP TABLE request_receipt", "PRAGMA user_version = 9"] {
            _ = try await raw.query(statement)
        }
        try await raw.close()
        let store = try await SQLiteStore.open(path: path)
        do {
            #expect(store.upgrade?.contains("the evidence log was added") == true)
            let entries = try await store.evidenceEntries(sealed: false, after: 0, limit: 10)
            #expect(entries.map(\.kind) == ["adopted"] && entries.first?.leaves.split(separator: "\n").count == 3)
            try await EvidenceSealer(log: store, key: EvidenceLogCheck.key).seal()
            let report = try await EvidenceVerifier(log: store, key: EvidenceLogCheck.key.publicKey).verify()
            #expect(report.isIntact && report.viewsChecked == 2 && report.acknowledgementsChecked == 1, "\(report.problems)")
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    func log(_ store: SQLiteStore, _ section: String) async throws -> AccessLogPage {
        try await store.accessLog(AccessLogQuery(section: try SectionPath(section)))
    }

    /// Runs `body` with the store at `path`, closing it whether `body` throws or not (a store
    /// dropped unclosed stops the test process).
    func withStore(_ path: String, _ body: (SQLiteStore) async throws -> Void) async throws {
        let store = try await SQLiteStore.open(path: path)
        do {
            try await body(store)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
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

    @Test("The log is copied into the database file while the store is open, by the checkpointer, not at close")
    func backgroundCheckpoint() async throws {
        let directory = try TemporaryDirectory("sqlite-checkpoint")
        defer { directory.remove() }
        let path = directory.file("ct.sqlite")
        func size(_ file: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int) ?? 0
        }
        try await withStore(path) { store in
            let before = size(path)
            // About 3,000 pages of log: three times what starts a checkpoint.
            let folder = String(repeating: "papers-", count: 40)
            for batch in 0..<60 {
                try await store.record((0..<100).map { StorageConformance.event("member-\(batch)-\($0)", "/\(folder)/\(batch)/\($0).html") })
            }
            let copied = try await eventually { size(path) > before + 4_000_000 }
            #expect(copied, "database file \(size(path)) bytes, log \(size(path + "-wal")) bytes")
            #expect(try await log(store, "/").total == 6000)
        }
    }

    @Test("Large batches are written again and again; a closed store refuses writes and closes twice without harm")
    func largeBatchesAndClose() async throws {
        let directory = try TemporaryDirectory("sqlite-close")
        defer { directory.remove() }
        // The store is closed twice: in the body, and again by `withStore`.
        try await withStore(directory.file("ct.sqlite")) { store in
            // Three chunks of up to 500 rows per statement, the same statements twice.
            let events = (0..<1_200).map { StorageConformance.event("member-\($0 % 40)", "/papers/\($0).html", render: "render-\($0)") }
            #expect(try await store.record(events).allSatisfy { $0 == .recorded })
            #expect(try await store.record(events).allSatisfy { $0 == .unchanged })
            #expect(try await log(store, "/papers").total == 1_200)
            try await store.close()
            await #expect(throws: (any Error).self) { try await store.record([StorageConformance.event("alice", "/papers/late.html")]) }
        }
    }

    @Test("A transaction left open on the writer (a failed rollback) does not block later writes")
    func transactionLeftOpen() async throws {
        let directory = try TemporaryDirectory("sqlite-left-open")
        defer { directory.remove() }
        try await withStore(directory.file("ct.sqlite")) { store in
            try await store.record([StorageConformance.event("alice", "/papers/a.html")])
            try await store.writer.run { connection in
                _ = try connection.query("BEGIN")
                _ = try connection.query("DELETE FROM view")
            }
            #expect(try await store.record([StorageConformance.event("bob", "/papers/a.html")]) == [.recorded])
            // What the open transaction did was undone, not committed with the next batch.
            #expect(try await log(store, "/papers").total == 2)
        }
    }

    @Test("A full database is storage unavailable (so views are spooled), and the refused batch writes nothing")
    func fullDatabase() async throws {
        let directory = try TemporaryDirectory("sqlite-full")
        defer { directory.remove() }
        try await withStore(directory.file("ct.sqlite")) { store in
            try await store.record([StorageConformance.event("alice", "/papers/a.html")])
            // The file may not grow: SQLite answers SQLITE_FULL, as on a full disk.
            try await store.writer.run { connection in
                let pages = try connection.query("PRAGMA page_count").first?.column("page_count")?.integer ?? 0
                _ = try connection.query("PRAGMA max_page_count = \(pages)")
            }
            let batch = (0..<500).map { StorageConformance.event("member-\($0)", "/papers/\($0).html") }
            await #expect(throws: StorageUnavailable.self) { try await store.record(batch) }
            #expect(try await log(store, "/papers").total == 1)
            try await store.writer.run { _ = try $0.query("PRAGMA max_page_count = 1073741823") }
            #expect(try await store.record(batch).allSatisfy { $0 == .recorded })
            #expect(try await log(store, "/papers").total == 501)
        }
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

    @Test("A version 5 file is upgraded when opened: readings that met their reading time are dated, requests name the documents under them")
    func upgradeFromVersion5() async throws {
        let directory = try TemporaryDirectory("sqlite-v5")
        defer { directory.remove() }
        let path = directory.file("ct.sqlite")
        let raw = try await SQLiteConnection.open(storage: .file(path: path))
        for migration in SQLiteSchema.migrations.prefix(5) {
            for statement in migration { _ = try await raw.query(statement) }
        }
        _ = try await raw.query("PRAGMA user_version = 5")
        // /p asks for 20 s; alice spent 25 s on /p/a, bob 1 s; carol reached the end of /q/c after 6 s (the standard asks 30).
        for statement in [
            "INSERT INTO section (path, created_at, maximum_seconds) VALUES ('/p', 0, 20)",
            "INSERT INTO document (id, key, path, seen_at) VALUES (1, '/p/a', '/p/a', 0), (2, '/p/b', '/p/b', 0), (3, '/q/c', '/q/c', 0)",
            """
            INSERT INTO reading (member, document_id, views, first_view, last_view, active_ms, reached_end, credited_at) VALUES
                ('alice', 1, 1, 1000, 1000, 25000, 0, 30000), ('bob', 1, 1, 2000, 2000, 1000, 0, 3000), ('carol', 3, 1, 4000, 4000, 6000, 1, 10000)
            """,
            "INSERT INTO reading_request (id, title, path, deadline, time_zone, created_at, created_by) VALUES (1, 'Board', '/p', 99000, 'UTC', 0, 'chair')",
        ] {
            _ = try await raw.query(statement)
        }
        try await raw.close()

        let store = try await SQLiteStore.open(path: path)
        #expect(
            store.upgrade?.contains("from schema version 5 to \(SQLiteSchema.currentVersion); readings that met their reading time were dated")
                == true
        )
        #expect(try await store.readingRequest(id: 1)?.documents == ["/p/a", "/p/b"])
        let readings = try await store.requestReadings(documents: ["/p/a", "/q/c"], members: ["alice", "bob", "carol"])
        #expect(readings[0].readers.map { $0.versions.first?.readAt } == [Date(timeIntervalSince1970: 30), nil])
        #expect(readings[1].readers.first?.versions.first?.readAt == nil)
        try await store.close()
        let reopened = try await SQLiteStore.open(path: path)
        #expect(reopened.upgrade == nil)
        try await reopened.close()
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
