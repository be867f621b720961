import ClickTracker
import Foundation
import Testing

extension StorageConformance {
    /// A report (or final report, or acknowledgement) for the render of `view`, received at `t0 + seconds`.
    public static func report(
        _ view: ViewEvent,
        _ kind: ViewEvent.Kind = .report,
        at seconds: TimeInterval,
        sequence: Int = 1,
        active: Int = 0,
        scroll: Int = 0,
        end: Bool = false,
        automated: Bool = false
    ) -> ViewEvent {
        var event = view
        event.kind = kind
        event.viewedAt = t0.addingTimeInterval(seconds)
        event.attention =
            kind == .acknowledgement
            ? nil
            : Attention(sequence: sequence, activeMilliseconds: active, scrollPercent: scroll, reachedEnd: end, automated: automated)
        return event
    }

    static func readers(
        _ store: any ClickStorage,
        _ section: String,
        _ order: ReadersQuery.Order = .member,
        descending: Bool = false
    )
        async throws -> [ReaderSummary]
    {
        try await store.readers(ReadersQuery(section: try SectionPath(section), order: order, descending: descending, limit: 100)).readers
    }

    static func reports(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        // Issued at t0 - 1, viewed at t0.
        let view = Self.event("alice", "/papers/a.html", render: "r-a")
        #expect(try await store.record([view]) == [.recorded])
        // Claims a minute after 10 s: only the 10 s since the view count.
        #expect(try await store.record([report(view, at: 10, sequence: 1, active: 60_000, scroll: 40)]) == [.recorded])
        // An overtaken heartbeat and a replay change nothing.
        #expect(try await store.record([report(view, at: 11, sequence: 1, active: 60_000, scroll: 90)]) == [.unchanged])
        #expect(
            try await second.record([
                report(view, at: 20, sequence: 3, active: 18_000, scroll: 70),
                report(view, at: 20, sequence: 2, active: 15_000, scroll: 50),
            ]) == [.recorded, .unchanged]
        )
        // Active time never exceeds the time since the token was issued, and never shrinks.
        #expect(try await store.record([report(view, .end, at: 25, sequence: 4, active: 9_000, end: true, automated: true)]) == [.recorded])
        #expect(try await store.record([report(view, at: 30, sequence: 5, active: 29_000)]) == [.finishedRender])
        let unknown = Self.event("alice", "/papers/a.html", render: "never-viewed")
        #expect(try await store.record([report(unknown, at: 30, active: 1_000)]) == [.unknownRender])
        #expect(try await store.record([report(unknown, .acknowledgement, at: 30)]) == [.unknownRender])

        // A view and its report in one batch, in either order: the view is applied first.
        let bob = Self.event("bob", "/papers/a.html", at: 100, render: "r-b")
        #expect(try await store.record([report(bob, at: 103, active: 2_500, scroll: 100, end: true), bob]) == [.recorded, .recorded])

        let summaries = try await readers(store, "/papers")
        #expect(summaries.map(\.member) == ["alice", "bob"])
        let alice = try #require(summaries.first?.versions.first)
        #expect(alice.activeMilliseconds == 18_000)
        #expect(alice.maximumScroll == 70)
        #expect(alice.reachedEnd)
        #expect(alice.automated)
        #expect(alice.views == 1)
        #expect(alice.firstView == t0)
        let bobs = try #require(summaries.last?.versions.first)
        #expect(bobs.activeMilliseconds == 2_500)
        #expect(bobs.maximumScroll == 100 && bobs.reachedEnd && !bobs.automated)
        // The access log is unchanged by reports.
        #expect(try await log(store, "/papers").entries.map(\.count) == [1, 1])

        // Two renders open side by side share the clock: 15 s pass, 15 s count, not 23.
        let left = Self.event("carol", "/papers/c.html", at: 200, render: "r-c1")
        let right = Self.event("carol", "/papers/c.html", at: 201, render: "r-c2")
        try await store.record([left, right])
        #expect(
            try await store.record([report(left, at: 210, active: 10_000), report(right, at: 210, active: 9_000)]) == [.recorded, .recorded]
        )
        #expect(try await store.record([report(right, at: 215, sequence: 2, active: 14_000)]) == [.recorded])
        let carol = try #require(try await readers(store, "/papers").first { $0.member == "carol" }?.versions.first)
        #expect(carol.activeMilliseconds == 15_000)
        #expect(carol.views == 2)
    }

    static func versionsAndAcknowledgements(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        let first = DocumentVersion(id: "version-1", words: 500)
        let revised = DocumentVersion(id: "version-2", words: 750)
        var alice = Self.event("alice", "/papers/a.html", at: 10, title: "A", render: "a1")
        alice.version = first
        var bob = Self.event("bob", "/papers/a.html", at: 20, title: "A", render: "b1")
        bob.version = first
        try await store.record([alice, bob])
        #expect(try await store.record([report(alice, .acknowledgement, at: 40)]) == [.recorded])
        #expect(try await store.record([report(alice, .acknowledgement, at: 50)]) == [.unchanged])
        // The document changes; bob reads the new version (a render issued later).
        var bobAgain = Self.event("bob", "/papers/a.html", at: 100, title: "A (revised)", render: "b2")
        bobAgain.version = revised
        #expect(try await store.record([bobAgain, report(bobAgain, at: 130, active: 30_000)]) == [.recorded, .recorded])
        #expect(try await store.record([report(bobAgain, .acknowledgement, at: 140)]) == [.recorded])
        // A late view of the old version does not make it current again.
        var late = Self.event("carol", "/papers/a.html", at: 50, render: "c1")
        late.version = first
        try await store.record([late])

        let summaries = try await readers(store, "/papers")
        #expect(summaries.map(\.member) == ["alice", "bob", "carol"])
        #expect(summaries.allSatisfy { $0.currentVersion == "version-2" && $0.document.title == "A (revised)" })
        let aliceSummary = summaries[0]
        #expect(aliceSummary.versions.map(\.version) == ["version-1"])
        #expect(aliceSummary.versions[0].acknowledgedAt == t0.addingTimeInterval(40))
        #expect(aliceSummary.versions[0].words == 500)
        let verdict = aliceSummary.verdict(.standard)
        // She confirmed without spending the reading time: acknowledged, but it does not count.
        #expect(verdict.level == .acknowledged && verdict.isEarlierVersion)
        #expect(verdict.label == "acknowledged an earlier version (not read)")
        #expect(!verdict.counts)
        let bobSummary = summaries[1]
        #expect(bobSummary.views == 2)
        #expect(bobSummary.versions.map(\.version) == ["version-2", "version-1"])
        #expect(bobSummary.versions[0].acknowledgedAt == t0.addingTimeInterval(140))
        #expect(bobSummary.versions[0].activeMilliseconds == 30_000)
        #expect(bobSummary.versions[1].acknowledgedAt == nil)
        #expect(bobSummary.verdict(.standard).level == .acknowledged && !bobSummary.verdict(.standard).isEarlierVersion)
        // 750 words need three minutes; bob spent 30 s.
        #expect(!bobSummary.verdict(.standard).counts)
        #expect(bobSummary.verdict(ReadingPolicy(wordsPerMinute: 1500, requiresAcknowledgement: true)).counts)

        // Exported views carry their version and the acknowledgement made from them.
        var exported: [StoredView] = []
        while true {
            let page = try await store.views(after: exported.last?.position ?? 0, limit: 2)
            if page.isEmpty { break }
            exported += page
        }
        let byRender = Dictionary(uniqueKeysWithValues: exported.map { ($0.event.renderID, $0) })
        #expect(byRender["a1"]?.acknowledgedAt == t0.addingTimeInterval(40))
        #expect(byRender["b1"]?.acknowledgedAt == nil)
        #expect(byRender["b2"]?.event.version == revised)
        #expect(byRender["b2"]?.event.attention?.activeMilliseconds == 30_000)
        #expect(byRender["b2"]?.events.map(\.kind) == [.view, .acknowledgement])
    }

    static func readers(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        var events: [ViewEvent] = []
        for member in 0..<5 {
            for document in 0..<(member + 1) {
                events.append(Self.event("m\(member)", "/r/\(document).html", at: Double(member * 10 + document)))
            }
        }
        events.append(Self.event("m0", "/r/0.html", at: 500))
        events.append(Self.event("m0", "/elsewhere.html", at: 1))
        events.append(Self.event("m0", "/r0/0.html", at: 1))
        try await store.record(events)
        let all = try await store.readers(ReadersQuery(section: try SectionPath("/r"), limit: 4))
        #expect(all.total == 15)
        var seen: [String] = []
        for offset in stride(from: 0, to: 16, by: 4) {
            let page = try await second.readers(ReadersQuery(section: try SectionPath("/r"), limit: 4, offset: offset))
            #expect(page.total == 15)
            seen += page.readers.map { "\($0.member) \($0.document.path)" }
        }
        #expect(seen == seen.sorted() && Set(seen).count == 15)
        let byViews = try await readers(store, "/r", .views, descending: true)
        #expect(byViews.first?.member == "m0" && byViews.first?.views == 2)
        let byLast = try await readers(store, "/r", .lastView)
        #expect(byLast.compactMap(\.lastView) == byLast.compactMap(\.lastView).sorted())
        let byDocument = try await readers(store, "/r", .document, descending: true)
        #expect(byDocument.first?.document.path == "/r/4.html")
        #expect(try await store.readers(ReadersQuery(section: try SectionPath("/r"), offset: 100)) == ReadersPage(readers: [], total: 15))
        // One person's history, in both reports.
        let history = try await store.readers(ReadersQuery(section: .root, member: "m2"))
        #expect(history.total == 3 && history.readers.map(\.document.path) == ["/r/0.html", "/r/1.html", "/r/2.html"])
        let log = try await second.accessLog(AccessLogQuery(section: try SectionPath("/r"), member: "m0", order: .url))
        #expect(log.total == 1 && log.entries.first?.count == 2)
        #expect(try await store.readers(ReadersQuery(section: .root, member: "nobody")).total == 0)
    }

    static func groups(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        #expect(try await store.groups().isEmpty)
        #expect(try await store.members(ofGroup: "board") == nil)
        try await store.setGroup(
            "board",
            members: [Person(member: "carol"), Person(member: "alice", displayName: "Alice Archer", email: "alice@example.org")]
        )
        try await store.setGroup("audit committee", members: [Person(member: "alice")])
        #expect(try await second.groups() == [MemberGroup(name: "audit committee", size: 1), MemberGroup(name: "board", size: 2)])
        #expect(
            try await second.members(ofGroup: "board")
                == [Person(member: "alice", displayName: "Alice Archer", email: "alice@example.org"), Person(member: "carol")]
        )
        // Replaced as a whole; an unknown name or email leaves the stored one.
        try await store.setGroup(
            "board",
            members: [Person(member: "bob", displayName: "Bob Baker"), Person(member: "carol", email: "c@example.org")]
        )
        #expect(try await store.members(ofGroup: "board")?.map(\.member) == ["bob", "carol"])
        let people = try await second.people(["alice", "bob", "carol", "dave"])
        #expect(people["alice"] == Person(member: "alice", displayName: "Alice Archer", email: "alice@example.org"))
        #expect(people["bob"]?.label == "Bob Baker" && people["carol"]?.email == "c@example.org" && people["dave"] == nil)
        // Emptied, then deleted; the other group and the people stay.
        try await store.setGroup("board", members: [])
        #expect(try await store.members(ofGroup: "board") == [])
        #expect(try await store.deleteGroup("board"))
        #expect(try await !store.deleteGroup("board"))
        #expect(try await store.groups().map(\.name) == ["audit committee"])
        #expect(try await store.people(["bob"]).count == 1)
    }

    static func requests(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        let request = ReadingRequest(
            title: "Board, 3 December",
            path: try SectionPath("/p"),
            documents: ["/p/b", "/p/a", "/p/c", "/p/a"],
            group: "board",
            members: ["dave", "carol", "dave"],
            deadline: t0.addingTimeInterval(100),
            timeZone: "Europe/Berlin",
            createdAt: t0,
            createdBy: "chair"
        )
        let id = try await store.addReadingRequest(request)
        let later = try await store.addReadingRequest(
            ReadingRequest(
                title: "Later",
                path: try SectionPath("/q"),
                group: nil,
                members: [],
                deadline: t0.addingTimeInterval(500),
                timeZone: "UTC",
                createdBy: "chair"
            )
        )
        var expected = request
        expected.id = id
        expected.members = ["carol", "dave"]
        expected.documents = ["/p/b", "/p/a", "/p/c"]
        #expect(try await second.readingRequest(id: id) == expected)
        #expect(try await second.readingRequests().map(\.id) == [id, later])
        #expect(try await store.deleteReadingRequest(id: later))
        #expect(try await !store.deleteReadingRequest(id: later))
        #expect(try await store.readingRequest(id: later) == nil)
        #expect(try await store.setRequestDocuments(["/p/a", "/p/b", "/p/c"], requestID: id))
        #expect(try await !store.setRequestDocuments(["/p/a"], requestID: later))
        #expect(try await second.readingRequest(id: id)?.documents == ["/p/a", "/p/b", "/p/c"])

        // A read needs 20 s of active time, or the end after 5 s. alice reads a (dated by the report
        // that met it) and confirms; bob only opens it; carol reaches the end of b; dave reads outside.
        try await store.setTracked(try SectionPath("/p"), true)
        try await store.setPolicy(ReadingPolicy(maximumSeconds: 20, minimumSeconds: 5), for: try SectionPath("/p"))
        let alice = Self.event("alice", "/p/a", at: 10, title: "A", render: "ra")
        let bob = Self.event("bob", "/p/a", at: 150, render: "rb")
        let carol = Self.event("carol", "/p/b", at: 20, render: "rc")
        let dave = Self.event("dave", "/elsewhere", at: 20, render: "rd")
        try await store.record([alice, bob, carol, dave, report(alice, at: 20, active: 10_000), report(carol, at: 30, active: 6000, end: true)])
        try await store.record([report(alice, at: 40, sequence: 2, active: 25_000), report(alice, .acknowledgement, at: 50)])
        try await store.record([report(carol, .acknowledgement, at: 120)])
        #expect(try await second.documents(under: try SectionPath("/p")).map(\.path) == ["/p/a", "/p/b"])
        let members = ["alice", "bob", "carol", "dave", "erin"]
        let readings = try await second.requestReadings(documents: ["/p/a", "/p/b", "/p/c"], members: members)
        #expect(readings.map(\.path) == ["/p/a", "/p/b", "/p/c"])
        #expect(readings.map { $0.document?.title } == ["A", nil, nil] && readings[2].document == nil)
        #expect(readings.map { $0.readers.map(\.member) } == [["alice", "bob"], ["carol"], []])
        let aliceRead = try #require(readings[0].readers.first?.versions.first)
        #expect(aliceRead.readAt == t0.addingTimeInterval(40) && aliceRead.acknowledgedAt == t0.addingTimeInterval(50))
        #expect(aliceRead.activeMilliseconds == 25_000 && aliceRead.firstView == t0.addingTimeInterval(10))
        #expect(readings[0].readers.last?.versions.first?.readAt == nil)
        let carolRead = try #require(readings[1].readers.first?.versions.first)
        #expect(carolRead.readAt == t0.addingTimeInterval(30) && carolRead.acknowledgedAt == t0.addingTimeInterval(120))
        // Replaying a batch dates nothing again.
        try await store.record([report(alice, at: 40, sequence: 2, active: 25_000)])

        // A stricter policy: alice's 25 s no longer suffice; carol's end still does, dated when last credited.
        try await store.setPolicy(ReadingPolicy(maximumSeconds: 30, minimumSeconds: 5), for: try SectionPath("/p"))
        var judged = try await second.requestReadings(documents: ["/p/a", "/p/b"], members: members)
        #expect(
            judged[0].readers.first?.versions.first?.readAt == nil && judged[1].readers.first?.versions.first?.readAt == t0.addingTimeInterval(30)
        )
        // A looser one again: alice is dated when her time was last credited.
        try await store.setPolicy(ReadingPolicy(maximumSeconds: 20, minimumSeconds: 5), for: try SectionPath("/p"))
        judged = try await second.requestReadings(documents: ["/p/a"], members: members)
        #expect(judged[0].readers.first?.versions.first?.readAt == t0.addingTimeInterval(40))

        // A path names the document with that key, else the one last seen at that path.
        try await store.record([Self.event("alice", "/p/moved", at: 60, key: "stable-id", render: "rk")])
        let byKey = try await second.requestReadings(documents: ["stable-id", "/p/moved"], members: ["alice"])
        #expect(byKey.map { $0.document?.key } == ["stable-id", "stable-id"] && byKey.allSatisfy { $0.readers.count == 1 })

        // Each reader's progress is kept for the generation it was summed up under, with the
        // store's time it is current up to; none at first.
        let kept = try #require(try await second.requestProgress(requestID: id))
        #expect(kept.readers.isEmpty && kept.asOf == nil)
        #expect(try await second.requestProgress(requestID: 9999) == nil)
        let (none, clock) = try await second.changedReaders(documents: ["/p/a"], since: nil)
        #expect(none.isEmpty && abs(clock.timeIntervalSinceNow) < 600)
        let progress = ReaderProgress(
            stage: .read,
            now: .acknowledged,
            documentsRead: 1,
            documentsReadNow: 2,
            openedAt: t0.addingTimeInterval(10),
            completedAt: t0.addingTimeInterval(40)
        )
        #expect(try await store.saveRequestProgress(["alice": progress, "bob": .notOpened], requestID: id, generation: kept.generation, asOf: nil))
        #expect(try await store.saveRequestProgress([:], requestID: id, generation: kept.generation, asOf: (clock, "fingerprint")))
        let saved = try #require(try await second.requestProgress(requestID: id))
        #expect(saved.readers == ["alice": progress, "bob": .notOpened] && saved.generation == kept.generation && saved.documents == "fingerprint")
        #expect(abs(try #require(saved.asOf).timeIntervalSince(clock)) < 0.001)

        // Changed since then: the readers of the documents named whose evidence moved (changes
        // stamped a little earlier may be reported too); none after every change.
        try await store.record([Self.event("frank", "/p/b", at: 160, render: "rf")])
        let changed = try await second.changedReaders(documents: ["/p/b", "/p/c"], since: clock).members
        #expect(changed.contains("frank") && !changed.contains("alice") && !changed.contains("bob"))
        #expect(try await second.changedReaders(documents: ["/p/b"], since: Date().addingTimeInterval(3600)).members.isEmpty)

        // Tracking (a policy) changing sets all of it aside: a new generation.
        try await store.setTracked(try SectionPath("/p"), true)
        let retracked = try #require(try await second.requestProgress(requestID: id))
        #expect(retracked.readers.isEmpty && retracked.asOf == nil && retracked.generation > kept.generation)
        #expect(try await !store.saveRequestProgress(["alice": progress], requestID: id, generation: kept.generation, asOf: (clock, "fingerprint")))
        #expect(
            try await store.saveRequestProgress(["alice": progress], requestID: id, generation: retracked.generation, asOf: (clock, "fingerprint"))
        )
        // So do a change of its group's members, and of its documents.
        try await store.setGroup("board", members: [Person(member: "bob")])
        let regrouped = try #require(try await second.requestProgress(requestID: id))
        #expect(regrouped.readers.isEmpty && regrouped.asOf == nil && regrouped.generation > retracked.generation)
        #expect(try await store.setRequestDocuments(["/p/a", "/p/b", "/p/c"], requestID: id))
        let aside = try #require(try await second.requestProgress(requestID: id))
        #expect(aside.readers.isEmpty && aside.asOf == nil && aside.generation > regrouped.generation)

        // Frozen cells: the first kept for a reader and document wins; frozen once, which sets
        // the progress aside again (it is summed up at the deadline).
        let cells = [
            FrozenCell(member: "alice", path: "/p/a", stage: .acknowledged, reachedAt: t0.addingTimeInterval(50)),
            FrozenCell(member: "carol", path: "/p/a", stage: .notOpened, reachedAt: nil),
        ]
        #expect(try await second.frozenCells(requestID: id, members: ["alice", "carol"], paths: ["/p/a"]).isEmpty)
        try await store.addFrozenCells(cells, requestID: id)
        try await second.addFrozenCells([FrozenCell(member: "alice", path: "/p/a", stage: .opened, reachedAt: nil)], requestID: id)
        try await store.addFrozenCells(cells, requestID: 9999)
        #expect(try await store.saveRequestProgress(["alice": progress], requestID: id, generation: aside.generation, asOf: nil))
        #expect(try await store.freezeRequest(id: id, at: t0.addingTimeInterval(101)))
        #expect(try await !second.freezeRequest(id: id, at: t0.addingTimeInterval(102)))
        #expect(try await !store.freezeRequest(id: 9999, at: t0))
        #expect(try await second.frozenCells(requestID: id, members: ["alice", "bob", "carol"], paths: ["/p/a", "/p/b"]) == cells)
        #expect(try await second.frozenCells(requestID: id, members: ["carol"], paths: ["/p/a"]) == [cells[1]])
        #expect(try await second.frozenCells(requestID: id, members: ["alice", "carol"], paths: ["/p/b"]).isEmpty)
        #expect(try await second.readingRequest(id: id)?.frozenAt == t0.addingTimeInterval(101))
        let frozen = try #require(try await second.requestProgress(requestID: id))
        #expect(frozen.readers.isEmpty && frozen.generation > aside.generation)
        #expect(try await store.saveRequestProgress(["alice": progress], requestID: id, generation: frozen.generation, asOf: (clock, "fingerprint")))

        // Purging alice removes every trace of her and nothing of anyone else.
        try await store.setGroup("board", members: [Person(member: "alice", displayName: "Alice"), Person(member: "bob")])
        #expect(try await store.purge(member: "alice") == 2)
        #expect(try await store.purge(member: "alice") == 0)
        let after = try await second.requestReadings(documents: ["/p/a", "/p/b"], members: members)
        #expect(after.map { $0.readers.map(\.member) } == [["bob"], ["carol"]])
        #expect(try await second.frozenCells(requestID: id, members: ["alice", "carol"], paths: ["/p/a"]).map(\.member) == ["carol"])
        let purged = try #require(try await second.requestProgress(requestID: id))
        #expect(purged.readers.isEmpty && purged.generation > frozen.generation)
        #expect(try await store.readers(ReadersQuery(section: .root, member: "alice")).total == 0)
        #expect(try await store.accessLog(AccessLogQuery(section: .root, member: "alice")).total == 0)
        #expect(try await store.people(["alice"]).isEmpty)
        #expect(try await store.members(ofGroup: "board")?.map(\.member) == ["bob"])
        #expect(try await store.readingRequest(id: id)?.members == ["carol", "dave"])
        #expect(try await store.statistics().views == 4)
    }
}
