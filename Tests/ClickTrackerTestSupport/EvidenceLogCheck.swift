import ClickTracker
import Foundation
import Testing

/// The evidence log's contract, run against each store on a real database: several instances
/// seal one chain; retention and purges keep it verifiable; a view row changed, deleted or added
/// directly in SQL, an acknowledgement given to someone else, and a rewritten log entry are each
/// caught and named.
public enum EvidenceLogCheck {
    /// A fixed server key, so the public key is known.
    public static let key = EvidenceSigningKey(secret: SecretKey(bytes: Data(repeating: 7, count: 32)))

    /// Runs the check.
    /// - Parameters:
    ///   - store: A store on a fresh, empty database.
    ///   - second: Another store on the same database (another instance).
    ///   - execute: Runs one SQL statement directly on the database, as someone with access to it would.
    public static func run(
        _ store: any ClickStorage & EvidenceLog,
        second: any ClickStorage & EvidenceLog,
        execute: @escaping @Sendable (String) async throws -> Void
    ) async throws {
        let t0 = StorageConformance.t0
        func view(_ member: String, _ index: Int, at seconds: TimeInterval) -> ViewEvent {
            StorageConformance.event(member, "/p/\(index).html", at: seconds, render: "render-\(member.prefix(1).uppercased())-\(index)")
        }
        // Asked for, a checkpoint of the empty log: a receipt issued before anything was recorded rests on it.
        let empty = try #require(try await EvidenceSealer(log: store, key: key).seal(now: t0, force: true))
        #expect(empty.size == 0 && empty.head == EvidenceEntry.genesis && empty.isSigned(by: key.publicKey))
        #expect(try await EvidenceVerifier(log: second, key: key.publicKey).verify().isIntact)

        // Two instances record at once, and each seals what it sees while the other records.
        let sealers = [EvidenceSealer(log: store, key: key), EvidenceSealer(log: second, key: key)]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, instance) in [store, second].enumerated() {
                let member = ["alice", "bob"][index]
                group.addTask {
                    for batch in 0..<5 {
                        try await instance.record((0..<4).map { view(member, batch * 4 + $0, at: Double(batch * 4 + $0)) })
                        try await sealers[index].seal(now: t0)
                    }
                }
            }
            try await group.waitForAll()
        }
        // Reports change view rows; an acknowledgement; carol reads once, long ago.
        let aliceFirst = view("alice", 0, at: 0)
        try await store.record([
            StorageConformance.report(aliceFirst, at: 30, sequence: 1, active: 20_000, scroll: 60),
            StorageConformance.report(aliceFirst, .end, at: 40, sequence: 2, active: 30_000, scroll: 100, end: true),
            StorageConformance.report(view("bob", 1, at: 1), .acknowledgement, at: 50),
        ])
        let carol = StorageConformance.event("carol", "/p/0.html", at: -86_400 * 10, render: "render-C")
        try await second.record([carol, StorageConformance.report(carol, .acknowledgement, at: -86_400 * 10 + 5)])

        let verifier = EvidenceVerifier(log: store, key: key.publicKey)
        // Entries not sealed yet are checked too.
        var report = try await verifier.verify()
        #expect(report.isIntact, "\(report.problems)")
        #expect(report.waitingEntries > 0)
        let checkpoint = try #require(try await sealers[1].seal(now: t0.addingTimeInterval(60), force: true))
        report = try await verifier.verify()
        #expect(report.isIntact, "\(report.problems)")
        #expect((report.sealedEntries, report.waitingEntries, report.viewsChecked, report.acknowledgementsChecked) == (12, 0, 41, 2))
        #expect(report.latestCheckpoint == checkpoint && checkpoint.size == 12 && checkpoint.isSigned(by: key.publicKey))
        // One chain, whichever instance sealed: positions 1…12 in the order written.
        let entries = try await store.evidenceEntries(sealed: true, after: 0, limit: 100)
        #expect(entries.map(\.position) == (1...12).map { Int64($0) })
        #expect(entries.map(\.id) == entries.map(\.id).sorted())
        #expect(try await second.evidenceHead() == EvidenceHead(size: 12, chain: checkpoint.head))

        // Receipts are kept as issued, listed without their bodies; one that names bob goes with his purge.
        let request = try await store.addReadingRequest(
            ReadingRequest(
                title: "Board",
                path: try SectionPath("/p"),
                group: nil,
                members: ["alice", "bob"],
                deadline: t0,
                timeZone: "UTC",
                createdBy: "chair"
            )
        )
        let receipt = StoredReceipt(
            requestID: request,
            reason: .deadline,
            issuedAt: t0,
            issuedBy: "ClickTracker",
            members: ["alice", "bob"],
            body: "{}"
        )
        let kept = try #require(try await store.addReceipt(receipt))
        #expect(try await second.addReceipt(receipt) == nil, "one receipt of the deadline, whichever instance issues it")
        #expect(
            try await second.addReceipt(StoredReceipt(requestID: 999, reason: .onDemand, issuedAt: t0, issuedBy: "chair", members: [], body: "{}"))
                == nil
        )
        var mine = receipt
        mine.reason = .onDemand
        mine.members = ["alice"]
        let alices = try #require(try await second.addReceipt(mine))
        #expect(try await second.receipts(requestID: request).map(\.id) == [alices, kept])
        #expect(try await second.receipts(requestID: request).allSatisfy { $0.body.isEmpty })
        let stored = try await store.receipt(id: kept)
        #expect(stored?.members == ["alice", "bob"] && stored?.body == "{}")

        // Retention and a purge record what they removed (keys only), and the log still verifies.
        #expect(try await store.purgeViews(before: t0.addingTimeInterval(-86_400), everything: true) == 1)
        #expect(try await second.purge(member: "bob") == 20)
        #expect(try await store.receipts(requestID: request).map(\.id) == [alices])
        let removals = try await store.evidenceEntries(sealed: false, after: 0, limit: 10)
        #expect(removals.map(\.kind) == ["retention", "retention", "purge"])
        #expect(removals.allSatisfy { !$0.leaves.contains("carol") && !$0.leaves.contains("bob") && $0.leaves.contains(" -\n") })
        #expect(removals.last?.leaves.contains("a render-B-1 -") == true)
        try await sealers[0].seal(now: t0.addingTimeInterval(120), force: true)
        report = try await verifier.verify()
        #expect(report.isIntact, "\(report.problems)")
        #expect((report.sealedEntries, report.viewsChecked, report.acknowledgementsChecked) == (15, 20, 0))

        // Now someone with database access edits what was recorded.
        let views = try await store.viewEvidence(after: 0, limit: 100)
        let (edited, deleted) = (views[0].id, views[5].id)
        let entryOf = { (id: Int64) -> Int64? in
            entries.last { EvidenceLeaf.parse($0.leaves)?.contains { $0.kind == .view && $0.key == String(id) } == true }?.position
        }

        // A view row edited: more active time than alice spent.
        try await execute("UPDATE view SET active_ms = active_ms + 600000 WHERE id = \(edited)")
        report = try await verifier.verify()
        #expect(report.problems.map(\.reason) == ["view row \(edited) was changed after this entry recorded it"])
        #expect(report.firstBadEntry?.position == entryOf(edited) && entryOf(edited) != nil)
        #expect(report.firstBadEntryRows.contains("view row \(edited)"))
        // Put back as it was, it matches again: the log checks content, not history.
        try await execute("UPDATE view SET active_ms = active_ms - 600000 WHERE id = \(edited)")
        #expect(try await verifier.verify().isIntact)

        // A view row deleted.
        try await execute("DELETE FROM view WHERE id = \(deleted)")
        report = try await verifier.verify()
        #expect(report.problems.map(\.reason) == ["view row \(deleted) is gone from the database, and no retention or purge removed it"])
        #expect(report.firstBadEntry?.position == entryOf(deleted))

        // A view row inserted: a read that never happened, copied from a real one.
        try await execute(
            """
            INSERT INTO view (render_id, member, document_id, url, issued_at, viewed_at, reported_at)
            SELECT 'forged-render', 'mallory', document_id, url, issued_at, viewed_at, reported_at FROM view WHERE id = \(edited)
            """
        )
        report = try await verifier.verify()
        #expect(report.problems.count == 2)
        // (SQLite may give it the id of a row a purge removed: then that entry names it.)
        #expect(
            report.problems.contains {
                $0.reason.hasSuffix("is in no entry of the log: it was added outside ClickTracker")
                    || $0.reason.hasSuffix("was removed by this entry but is in the database again")
            }
        )
        try await execute("DELETE FROM view WHERE render_id = 'forged-render'")

        // An acknowledgement given to someone else.
        try await store.record([StorageConformance.report(view("alice", 3, at: 3), .acknowledgement, at: 70)])
        try await sealers[0].seal(now: t0.addingTimeInterval(180), force: true)
        try await execute("UPDATE reading SET member = 'mallory' WHERE acknowledged_render = 'render-A-3'")
        report = try await verifier.verify()
        #expect(report.problems.contains { $0.reason == "the acknowledgement from render render-A-3 was changed after this entry recorded it" })
        #expect(report.problems.first?.entry?.position == entryOf(deleted), "the earliest entry that does not match comes first")

        // The log rewritten to match an edit, and its chain recomputed: the signed checkpoint no longer matches.
        let sealed = try await store.evidenceEntries(sealed: true, after: 0, limit: 100)
        let target = try #require(sealed.first { $0.leaves.contains("a render-A-3 ") })
        var chain = sealed.first { $0.position == (target.position ?? 0) - 1 }?.chain ?? EvidenceEntry.genesis
        for var entry in sealed where (entry.position ?? 0) >= (target.position ?? 0) {
            if entry.id == target.id { entry.leaves = entry.leaves.replacingOccurrences(of: "a render-A-3 ", with: "a render-A-3x ") }
            chain = entry.chainValue(after: chain, position: entry.position ?? 0)
            try await execute("UPDATE evidence_entry SET leaves = '\(entry.leaves)', chain = '\(chain)' WHERE id = \(entry.id)")
        }
        report = try await verifier.verify()
        #expect(report.problems.contains { $0.reason.hasPrefix("the log does not match the checkpoint signed at") })
        #expect(!report.isIntact)
    }
}
