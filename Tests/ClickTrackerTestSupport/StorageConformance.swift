import ClickTracker
import Foundation
import Testing

/// The storage contract, as checks every store must pass against a real database.
///
/// A store's test target runs every check with a fresh, empty database:
/// `@Test(arguments: StorageConformance.allCases) func conformance(_ check: StorageConformance)`.
/// `second` is another store instance on the same database (for concurrency).
public enum StorageConformance: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case batchAndGrouping
    case dedupe
    case largeBatch
    case sectionBoundaries
    case ordering
    case paging
    case movedDocument
    case sections
    case trackingRulesAgree
    case concurrency
    case export
    case reports
    case versionsAndAcknowledgements
    case readers
    case groups
    case requests
    case retention
    case apiTokens
    case audit
    case endedSessions
    case largeReports
    case webhooks
    case reminders

    public var testDescription: String {
        switch self {
        case .batchAndGrouping: "a batch is written in one go; counts, first and last access are kept per member and URL"
        case .dedupe: "a render id is recorded once, however often it is replayed"
        case .largeBatch: "a batch larger than one statement, with render ids repeated inside it, counts each render once"
        case .sectionBoundaries: "sections match at a / boundary, and _ and % are not wildcards"
        case .ordering: "ordering by each column, both directions, is done by the store"
        case .paging: "pages of N rows cover the log exactly once"
        case .movedDocument: "a stable document key keeps history when the page moves; older renders never move it back"
        case .sections: "tracked sections and paths never tracked are stored and removed, and seen by every instance"
        case .trackingRulesAgree:
            "sections and paths never tracked, kept in memory, follow every change: a store's own at once, another instance's within moments"
        case .concurrency: "concurrent batches through two store instances on one database all land, each once"
        case .export: "views read back page by page, each once, exactly as recorded; statistics and render-id counts agree"
        case .reports: "reports add clamped active time once each, in order; unknown and finished renders are refused"
        case .versionsAndAcknowledgements: "reads are kept per document version; an acknowledgement is recorded once per version"
        case .readers: "the readers report pages and orders per member and document, within the section"
        case .groups: "a group's members are replaced as a whole; people keep their names and emails; groups are deleted alone"
        case .requests:
            "reading requests name their documents; readings are dated when they meet the reading time, judged again when the policy changes; status freezes once"
        case .retention: "a retention period removes old view rows and keeps the summaries, or removes everything older"
        case .apiTokens: "API tokens are found by their hash and revoked once"
        case .audit: "the audit log keeps every entry, newest first, in pages"
        case .endedSessions: "a session ended on one instance is ended on every other; expired ones are forgotten"
        case .largeReports:
            "a large section's reports come in every order from the store, page by page or read on after a row; totals follow purges"
        case .webhooks:
            "webhook messages enter the outbox with the change they tell of, once per endpoint; instances never claim one delivery at once"
        case .reminders: "reminders follow their schedule and are claimed once, each reader's mail too, whichever instance sends them"
        }
    }

    /// Runs the check.
    /// - Parameters:
    ///   - store: A store on a fresh, empty database.
    ///   - second: Another store on the same database.
    public func run(_ store: any ClickStorage, second: any ClickStorage) async throws {
        switch self {
        case .batchAndGrouping: try await Self.batchAndGrouping(store, second)
        case .dedupe: try await Self.dedupe(store, second)
        case .largeBatch: try await Self.largeBatch(store, second)
        case .sectionBoundaries: try await Self.sectionBoundaries(store, second)
        case .ordering:
            for order in AccessLogQuery.Order.allCases { try await Self.ordering(store, order) }
        case .paging: try await Self.paging(store, second)
        case .movedDocument: try await Self.movedDocument(store, second)
        case .sections: try await Self.sections(store, second)
        case .trackingRulesAgree: try await Self.trackingRulesAgree(store, second)
        case .concurrency: try await Self.concurrency(store, second)
        case .export: try await Self.export(store, second)
        case .reports: try await Self.reports(store, second)
        case .versionsAndAcknowledgements: try await Self.versionsAndAcknowledgements(store, second)
        case .readers: try await Self.readers(store, second)
        case .groups: try await Self.groups(store, second)
        case .requests: try await Self.requests(store, second)
        case .retention: try await Self.retention(store, second)
        case .apiTokens: try await Self.apiTokens(store, second)
        case .audit: try await Self.audit(store, second)
        case .endedSessions: try await Self.endedSessions(store, second)
        case .largeReports: try await Self.largeReports(store, second)
        case .webhooks: try await Self.webhooks(store, second)
        case .reminders: try await Self.reminders(store, second)
        }
    }

    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// A view event at `t0 + seconds`, issued a second earlier.
    public static func event(
        _ member: String,
        _ path: String,
        at seconds: TimeInterval = 0,
        key: String? = nil,
        title: String? = nil,
        render: String = UUID().uuidString
    ) -> ViewEvent {
        ViewEvent(
            member: member,
            document: DocumentReference(key: key, path: path, title: title),
            url: path,
            renderID: render,
            issuedAt: t0.addingTimeInterval(seconds - 1),
            viewedAt: t0.addingTimeInterval(seconds)
        )
    }

    static func log(
        _ store: any ClickStorage,
        _ section: String,
        _ order: AccessLogQuery.Order = .member,
        descending: Bool = false,
        limit: Int = 100,
        offset: Int = 0
    ) async throws -> AccessLogPage {
        try await store.accessLog(
            AccessLogQuery(section: try SectionPath(section), order: order, descending: descending, limit: limit, offset: offset)
        )
    }

    static func batchAndGrouping(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        let recorded = try await store.record([
            Self.event("alice", "/papers/a.html", at: 10, title: "A"),
            Self.event("alice", "/papers/a.html", at: 30),
            Self.event("alice", "/papers/a.html", at: 20),
            Self.event("bob", "/papers/a.html", at: 5),
            Self.event("bob", "/papers/b.html", at: 7, title: "B"),
        ])
        #expect(recorded.recordedCount == 5)
        let page = try await log(store, "/papers")
        #expect(page.total == 3)
        #expect(page.entries.map(\.member) == ["alice", "bob", "bob"])
        let alice = page.entries[0]
        #expect(alice.count == 3)
        #expect(alice.title == "A")
        #expect(alice.firstAccess == Self.t0.addingTimeInterval(10))
        #expect(alice.lastAccess == Self.t0.addingTimeInterval(30))
    }

    static func dedupe(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        let event = Self.event("alice", "/papers/a.html", render: "render-1")
        #expect(try await store.record([event, event]).recordedCount == 1)
        #expect(try await store.record([event]).recordedCount == 0)
        #expect(try await log(store, "/papers").entries.first?.count == 1)
    }

    static func largeBatch(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        let unique = (0..<1200).map { Self.event("m\($0 % 7)", "/big/\($0 % 13).html", at: Double($0), render: "r\($0)") }
        let recorded = try await store.record(unique + unique.prefix(300))
        #expect(recorded.recordedCount == 1200)
        let page = try await log(store, "/big", limit: 1000)
        #expect(page.total == 7 * 13)
        #expect(page.entries.reduce(0) { $0 + $1.count } == 1200)
        #expect(try await store.record(Array(unique.suffix(10))).recordedCount == 0)
    }

    static func sectionBoundaries(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        try await store.record([
            Self.event("m", "/a"), Self.event("m", "/a/x.html"), Self.event("m", "/ab/y.html"),
            Self.event("m", "/a_c/z.html"), Self.event("m", "/abc/z.html"), Self.event("m", "/a%/q.html"),
        ])
        #expect(Set(try await log(store, "/a").entries.map(\.url)) == ["/a", "/a/x.html"])
        #expect(try await log(store, "/a_c").entries.map(\.url) == ["/a_c/z.html"])
        #expect(try await log(store, "/a%").entries.map(\.url) == ["/a%/q.html"])
        #expect(try await log(store, "/").total == 6)
    }

    static func ordering(_ store: any ClickStorage, _ order: AccessLogQuery.Order) async throws {
        var events: [ViewEvent] = []
        for (index, member) in ["carol", "alice", "dave", "bob"].enumerated() {
            for view in 0...index {
                events.append(Self.event(member, "/p/\(4 - index).html", at: Double(index * 100 + view)))
            }
        }
        try await store.record(events)
        let ascending = try await log(store, "/p", order)
        let descending = try await log(store, "/p", order, descending: true)
        let key: (AccessLogEntry) -> String =
            switch order {
            case .member: { $0.member }
            case .url: { $0.url }
            case .count: { String(format: "%05d", $0.count) }
            case .firstAccess: { String(format: "%015.3f", $0.firstAccess.timeIntervalSince1970) }
            case .lastAccess: { String(format: "%015.3f", $0.lastAccess.timeIntervalSince1970) }
            }
        #expect(ascending.entries.map(key) == ascending.entries.map(key).sorted())
        #expect(descending.entries.map(key) == ascending.entries.map(key).reversed())
        #expect(Set(ascending.entries.map(key)).count == 4)
    }

    static func paging(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        try await store.record((0..<45).map { Self.event(String(format: "member%02d", $0), "/p/doc.html") })
        var seen: [String] = []
        for page in 0..<3 {
            let result = try await log(store, "/p", limit: 20, offset: page * 20)
            #expect(result.total == 45)
            seen += result.entries.map(\.member)
        }
        #expect(seen.count == 45)
        #expect(seen == seen.sorted())
        #expect(Set(seen).count == 45)
        #expect(try await log(store, "/p", limit: 20, offset: 60).entries.isEmpty)
    }

    static func movedDocument(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        try await store.record([Self.event("alice", "/old/budget.html", key: "doc-42", title: "Budget")])
        try await store.record([Self.event("bob", "/new/budget.html", at: 10, key: "doc-42", title: "Budget (final)")])
        #expect(try await log(store, "/new").total == 2)
        #expect(try await log(store, "/old").total == 0)
        #expect(try await log(store, "/new").entries.allSatisfy { $0.title == "Budget (final)" })
        // A late beacon from a render before the move does not move the document back.
        try await store.record([Self.event("carol", "/old/budget.html", at: 5, key: "doc-42", title: "Budget")])
        #expect(try await log(store, "/new").total == 3)
        #expect(try await log(store, "/old").total == 0)
    }

    static func sections(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        try await store.setTracked(try SectionPath("/papers"), true)
        try await store.setTracked(try SectionPath("/papers"), true)
        try await store.setTracked(try SectionPath("/board/2026"), true)
        #expect(try await store.trackedSections().map(\.path) == [try SectionPath("/board/2026"), try SectionPath("/papers")])
        try await store.setTracked(try SectionPath("/papers"), false)
        #expect(try await store.trackedSections().map(\.path) == [try SectionPath("/board/2026")])
        #expect(try await store.trackedSections().map(\.policy) == [.standard])
        let policy = ReadingPolicy(
            wordsPerMinute: 180,
            maximumSeconds: 300,
            minimumSeconds: 20,
            requiresAcknowledgement: true,
            requiresRereading: true
        )
        try await store.setPolicy(policy, for: try SectionPath("/board/2026"))
        try await store.setPolicy(policy, for: try SectionPath("/not-tracked"))
        #expect(try await second.trackedSections() == [TrackedSection(path: try SectionPath("/board/2026"), policy: policy)])

        // Paths never tracked: set twice, listed in order, removed; the tracked sections untouched.
        try await store.setIgnored(try SectionPath("/board/2026/search"), true)
        try await store.setIgnored(try SectionPath("/board/2026/search"), true)
        try await store.setIgnored(try SectionPath("/board/2026/index.html"), true)
        #expect(try await second.ignoredPaths() == [try SectionPath("/board/2026/index.html"), try SectionPath("/board/2026/search")])
        try await second.setIgnored(try SectionPath("/board/2026/index.html"), false)
        try await second.setIgnored(try SectionPath("/never-listed"), false)
        #expect(try await store.ignoredPaths() == [try SectionPath("/board/2026/search")])
        #expect(try await store.trackedSections().map(\.path) == [try SectionPath("/board/2026")])
    }

    static func trackingRulesAgree(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        let papers = try SectionPath("/papers")
        let search = try SectionPath("/papers/search")
        func rules(_ store: any ClickStorage) async throws -> ([TrackedSection], [SectionPath]) {
            (try await store.trackedSections(), try await store.ignoredPaths())
        }
        // Both stores read, and read again once their watch runs, so both keep what they read.
        for _ in 0..<3 {
            _ = try await rules(store)
            _ = try await rules(second)
            try await Task.sleep(for: .milliseconds(150))
        }
        try await store.setTracked(papers, true)
        #expect(try await store.trackedSections() == [TrackedSection(path: papers)])
        #expect(try await eventually { try await second.trackedSections() == [TrackedSection(path: papers)] })

        let policy = ReadingPolicy(wordsPerMinute: 100, maximumSeconds: 60, minimumSeconds: 5, requiresAcknowledgement: true)
        try await second.setPolicy(policy, for: papers)
        #expect(try await second.trackedSections() == [TrackedSection(path: papers, policy: policy)])
        #expect(try await eventually { try await store.trackedSections() == [TrackedSection(path: papers, policy: policy)] })

        try await second.setIgnored(search, true)
        #expect(try await second.ignoredPaths() == [search])
        #expect(try await eventually { try await store.ignoredPaths() == [search] })

        try await store.setTracked(papers, false)
        try await store.setIgnored(search, false)
        #expect(try await rules(store) == ([], []))
        #expect(try await eventually { try await rules(second) == ([], []) })
        // What is kept stays right once nothing changes any more.
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await rules(second) == ([], []))
        #expect(try await rules(store) == ([], []))
    }

    static func concurrency(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<16 {
                let target = task.isMultiple(of: 2) ? store : second
                group.addTask {
                    for batch in 0..<10 {
                        try await target.record(
                            (0..<10).map { Self.event("m\(task)", "/p/\(batch).html", at: Double($0), render: "\(task)-\(batch)-\($0)") }
                        )
                    }
                }
            }
            try await group.waitForAll()
        }
        let page = try await log(store, "/p", limit: 1000)
        #expect(page.total == 160)
        #expect(page.entries.allSatisfy { $0.count == 10 })
    }

    static func export(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        #expect(try await store.statistics() == StorageStatistics(documents: 0, views: 0, clickRows: 0, clicks: 0, sections: 0))
        #expect(try await store.views(after: 0, limit: 10).isEmpty)
        let events = (0..<25).map { index in
            Self.event("m\(index % 3)", "/p/\(index % 4).html", at: Double(index) + 0.125, key: "doc-\(index % 4)", title: "Doc \(index % 4)")
        }
        for batch in events.chunks(of: 7) { try await store.record(Array(batch)) }
        try await store.setTracked(try SectionPath("/p"), true)

        var exported: [StoredView] = []
        while true {
            let page = try await second.views(after: exported.last?.position ?? 0, limit: 10)
            if page.isEmpty { break }
            #expect(page.count <= 10)
            exported += page
        }
        // Within a batch a store may order rows its own way (PostgreSQL inserts by render id).
        #expect(exported.count == events.count)
        #expect(
            Set(exported.map(\.event))
                == Set(
                    events.map { event in
                        var copy = event
                        copy.attention = Attention.none
                        return copy
                    }
                )
        )
        #expect(exported.map(\.position) == exported.map(\.position).sorted())
        #expect(try await store.countRecorded(renderIDs: events.map(\.renderID) + ["unknown"]) == 25)
        #expect(try await store.countRecorded(renderIDs: []) == 0)
        #expect(try await store.statistics() == StorageStatistics(documents: 4, views: 25, clickRows: 12, clicks: 25, sections: 1))
    }
}

extension Array where Element == RecordOutcome {
    /// How many events the store recorded as new.
    public var recordedCount: Int { filter { $0 == .recorded }.count }
}

extension Array {
    fileprivate func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
