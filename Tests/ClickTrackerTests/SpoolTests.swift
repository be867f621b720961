import Foundation
import Testing

@testable import ClickTracker

@Suite("Spool")
struct SpoolTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)").path

    static func events(_ range: Range<Int>, title: String? = nil) -> [ViewEvent] {
        range.map { index in
            ViewEvent(
                member: "m\(index)",
                document: DocumentReference(key: "k\(index)", path: "/p/\(index).html", title: title),
                url: "/p/\(index).html",
                renderID: "r\(index)",
                issuedAt: Date(timeIntervalSince1970: 1_800_000_000.5 + Double(index)),
                viewedAt: Date(timeIntervalSince1970: 1_800_000_001.25 + Double(index))
            )
        }
    }

    func segments() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".spool") }.sorted()
    }

    @Test("Batches come back in order, exactly as appended, in chunks of whole records")
    func order() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spool = try Spool(directory: folder)
        try await spool.append(Self.events(0..<3, title: "Budget \"2027\" ✓"))
        try await spool.append(Self.events(3..<5))
        try await spool.append(Self.events(5..<9))
        #expect(await spool.backlog == 9)
        let first = try #require(try await spool.peek(maximumEvents: 6))
        #expect(first.events == Self.events(0..<3, title: "Budget \"2027\" ✓") + Self.events(3..<5))
        try await spool.remove(first)
        try await spool.remove(first)
        #expect(await spool.backlog == 4)
        let second = try #require(try await spool.peek(maximumEvents: 2))
        #expect(second.events == Self.events(5..<9))
        try await spool.remove(second)
        #expect(await spool.isEmpty)
        #expect(try await spool.peek(maximumEvents: 10) == nil)
        #expect(try segments().isEmpty)
    }

    @Test("What was appended survives reopening; a record torn by a crash is cut off")
    func reopenAndTornTail() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            let spool = try Spool(directory: folder)
            try await spool.append(Self.events(0..<2))
            try await spool.append(Self.events(2..<4))
        }
        let segment = folder + "/" + (try segments()[0])
        let handle = try #require(FileHandle(forUpdatingAtPath: segment))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 5)
        try handle.close()

        let spool = try Spool(directory: folder)
        #expect(await spool.backlog == 2)
        try await spool.append(Self.events(4..<5))
        let chunk = try #require(try await spool.peek(maximumEvents: 100))
        #expect(chunk.events == Self.events(0..<2) + Self.events(4..<5))
    }

    @Test("Segments roll over and are deleted once replayed")
    func segmentsRollOver() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spool = try Spool(directory: folder)
        let big = Self.events(0..<2, title: String(repeating: "x", count: 600_000))
        for _ in 0..<8 { try await spool.append(big) }
        #expect(try segments().count >= 2)
        var replayed = 0
        while let chunk = try await spool.peek(maximumEvents: 3) {
            replayed += chunk.events.count
            try await spool.remove(chunk)
        }
        #expect(replayed == 16)
        #expect(try segments().isEmpty)
        try await spool.append(Self.events(0..<1))
        #expect(await spool.backlog == 1)
    }

    @Test("Appending while replaying, across segment roll-overs, loses nothing and keeps the order")
    func appendWhileReplaying() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spool = try Spool(directory: folder, segmentSize: 2_000)
        var appended: [ViewEvent] = []
        var replayed: [ViewEvent] = []
        for round in 0..<40 {
            let batch = Self.events((round * 3)..<(round * 3 + 3))
            try await spool.append(batch)
            appended += batch
            // Replay a little after every append, so the head is read while its segment grows.
            if round.isMultiple(of: 3), let chunk = try await spool.peek(maximumEvents: 4) {
                replayed += chunk.events
                try await spool.remove(chunk)
            }
        }
        #expect(try segments().count > 1)
        while let chunk = try await spool.peek(maximumEvents: 5) {
            replayed += chunk.events
            try await spool.remove(chunk)
        }
        #expect(replayed == appended)
        #expect(await spool.isEmpty)
        #expect(try segments().isEmpty)
    }

    @Test("A damaged record in the middle of the spool stops replay loudly instead of skipping data")
    func damagedMiddle() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            let spool = try Spool(directory: folder, segmentSize: 1)
            for round in 0..<3 { try await spool.append(Self.events(round..<(round + 1))) }
        }
        let first = folder + "/" + (try segments()[0])
        var bytes = try Data(contentsOf: URL(fileURLWithPath: first))
        bytes[bytes.count - 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: first))
        #expect(throws: Spool.Failure.self) { try Spool(directory: folder) }
    }

    @Test("A spool folder is used by one spool at a time; the lock goes with it")
    func locked() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var spool: Spool? = try Spool(directory: folder)
        #expect(throws: Spool.Failure.self) { try Spool(directory: folder) }
        #expect(await spool?.isEmpty == true)
        spool = nil
        #expect(try await Spool(directory: folder).isEmpty)
    }
}
