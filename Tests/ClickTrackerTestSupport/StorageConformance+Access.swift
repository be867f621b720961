import ClickTracker
import Foundation
import Testing

extension StorageConformance {
    static func retention(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        // alice read /p/a at 10 and 200, bob /p/a at 20, carol /p/b at 300.
        let old = Self.event("alice", "/p/a", at: 10, render: "old")
        try await store.record([
            old, report(old, at: 15, active: 4000), Self.event("bob", "/p/a", at: 20), Self.event("alice", "/p/a", at: 200),
            Self.event("carol", "/p/b", at: 300),
        ])
        #expect(
            try await second.openings(under: try SectionPath("/p")) == [
                t0.addingTimeInterval(10), t0.addingTimeInterval(20), t0.addingTimeInterval(300),
            ]
        )
        #expect(try await second.openings(under: try SectionPath("/p/b")) == [t0.addingTimeInterval(300)])

        // Views before 100 go; the summaries and the access log stay as they were.
        #expect(try await store.purgeViews(before: t0.addingTimeInterval(100), everything: false) == 2)
        #expect(try await store.purgeViews(before: t0.addingTimeInterval(100), everything: false) == 0)
        #expect(try await second.statistics().views == 2)
        let kept = try await log(second, "/p")
        #expect(kept.entries.map { "\($0.member) \($0.url) \($0.count)" } == ["alice /p/a 2", "bob /p/a 1", "carol /p/b 1"])
        let alice = try #require(try await readers(second, "/p").first)
        #expect(alice.member == "alice" && alice.views == 2 && alice.versions.first?.activeMilliseconds == 4000)
        // Reading requests rest on the summaries, so bob's purged view still counts as opened.
        let readings = try await second.requestReadings(documents: ["/p/a"], members: ["bob"])
        #expect(readings.first?.readers.map(\.member) == ["bob"] && readings.first?.readers.first?.firstView == t0.addingTimeInterval(20))

        // Everything last touched before 250 goes: bob's and alice's summaries and log rows.
        #expect(try await store.purgeViews(before: t0.addingTimeInterval(250), everything: true) == 1)
        #expect(try await log(second, "/p").entries.map(\.member) == ["carol"])
        #expect(try await readers(second, "/p").map(\.member) == ["carol"])
        #expect(try await second.openings(under: try SectionPath("/p")) == [t0.addingTimeInterval(300)])
    }

    static func apiTokens(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        #expect(try await store.apiTokens().isEmpty)
        let (secret, hash) = APIToken.generateSecret()
        #expect(APIToken.hash(secret) == hash && secret.hasPrefix("ct_") && secret.count == 46)
        let first = try await store.addAPIToken(APIToken(name: "portal", hash: hash, createdAt: t0, createdBy: "chair"))
        let other = try await store.addAPIToken(
            APIToken(name: "<b>export</b>", hash: APIToken.hash("other"), createdAt: t0.addingTimeInterval(60), createdBy: "alice")
        )
        #expect(first != other)
        let found = try #require(try await second.apiToken(hash: hash))
        #expect(found == APIToken(id: first, name: "portal", hash: hash, createdAt: t0, createdBy: "chair"))
        #expect(try await second.apiToken(hash: APIToken.hash("unknown")) == nil)
        #expect(try await second.apiTokens().map(\.id) == [other, first])

        #expect(try await store.revokeAPIToken(id: first))
        #expect(try await !store.revokeAPIToken(id: first))
        #expect(try await !store.revokeAPIToken(id: 999_999))
        let revoked = try #require(try await second.apiToken(hash: hash)?.revokedAt)
        #expect(abs(revoked.timeIntervalSinceNow) < 60)
        #expect(try await second.apiToken(hash: APIToken.hash("other"))?.revokedAt == nil)
    }

    static func audit(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        #expect(try await store.auditLog(limit: 10, offset: 0) == AuditPage(entries: [], total: 0))
        let entries = (0..<5).map { index in
            AuditEntry(at: t0.addingTimeInterval(Double(index)), actor: "chair", action: "readers page", subject: "/p/\(index)")
        }
        for entry in entries { try await store.recordAudit(entry) }
        try await second.recordAudit(AuditEntry(at: t0.addingTimeInterval(10), actor: "token:portal", action: "request api", subject: "7"))
        let first = try await second.auditLog(limit: 4, offset: 0)
        #expect(first.total == 6)
        #expect(first.entries.map(\.subject) == ["7", "/p/4", "/p/3", "/p/2"])
        #expect(first.entries[0] == AuditEntry(at: t0.addingTimeInterval(10), actor: "token:portal", action: "request api", subject: "7"))
        #expect(try await second.auditLog(limit: 4, offset: 4).entries.map(\.subject) == ["/p/1", "/p/0"])
    }

    static func endedSessions(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        #expect(try await !second.isSessionEnded(id: "s1"))
        try await store.endSession(id: "s1", expiresAt: Date().addingTimeInterval(3600))
        try await store.endSession(id: "s1", expiresAt: Date().addingTimeInterval(3600))
        #expect(try await second.isSessionEnded(id: "s1"))
        #expect(try await !second.isSessionEnded(id: "s2"))
        // An ended session whose cookie has expired anyway is forgotten at the next sign-out.
        try await store.endSession(id: "old", expiresAt: Date().addingTimeInterval(-60))
        try await second.endSession(id: "s2", expiresAt: Date().addingTimeInterval(3600))
        #expect(try await !store.isSessionEnded(id: "old"))
        #expect(try await store.isSessionEnded(id: "s1"))
        #expect(try await store.isSessionEnded(id: "s2"))
    }
}

extension StorageConformance {
    /// 201 members × 100 documents (more rows than a report sorts itself): every seventh document
    /// read twice. Members and paths sort alike in any collation.
    static func largeReports(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        var events: [ViewEvent] = []
        for member in 0..<201 {
            for document in 0..<100 {
                let (name, path) = (String(format: "m%03d", member), String(format: "/big/d%03d", document))
                let at = Double(member * 100 + document)
                events.append(Self.event(name, path, at: at, render: "\(name)\(path)"))
                if document % 7 == 0 { events.append(Self.event(name, path, at: 30_000 + at, render: "\(name)\(path)+")) }
            }
        }
        // In batches no larger than the ingest queue's (1,000): a store's write has a time limit meant for them.
        for chunk in stride(from: 0, to: events.count, by: 500) {
            try await store.record(Array(events[chunk..<min(events.count, chunk + 500)]))
        }
        typealias Row = (member: String, path: String, count: Int, first: Date, last: Date)
        let rows: [Row] = Dictionary(grouping: events) { [$0.member, $0.url] }.values.map { views in
            (views[0].member, views[0].url, views.count, views.map(\.viewedAt).min()!, views.map(\.viewedAt).max()!)
        }
        let section = try SectionPath("/big")

        // The access log, in every order, both ways: the first page and a page far in; descending,
        // all of it read on after each page's last row; each as the rows sorted here.
        for order in AccessLogOrder.allCases {
            for descending in [false, true] {
                func key(_ row: Row) -> [String] {
                    let sorted: String =
                        switch order {
                        case .member: row.member
                        case .url: row.path
                        case .count: String(format: "%05d", row.count)
                        case .firstAccess: String(format: "%015.3f", row.first.timeIntervalSince1970)
                        case .lastAccess: String(format: "%015.3f", row.last.timeIntervalSince1970)
                        }
                    return [sorted, row.member, row.path]
                }
                let keyed = rows.map { (key: key($0), name: "\($0.member) \($0.path)") }
                let expected = keyed.sorted { descending ? $1.key.lexicographicallyPrecedes($0.key) : $0.key.lexicographicallyPrecedes($1.key) }
                    .map(\.name)
                let query = AccessLogQuery(section: section, order: order, descending: descending, limit: 20)
                let first = try await second.accessLog(query)
                #expect(first.total == 20_100, "\(order) \(descending)")
                #expect(first.entries.map { "\($0.member) \($0.url)" } == Array(expected.prefix(20)), "\(order) \(descending)")
                let far = try await second.accessLog(query.page(offset: 12_345, limit: 5, countsTotal: false))
                #expect(far.entries.map { "\($0.member) \($0.url)" } == Array(expected[12_345..<12_350]), "\(order) \(descending)")
                guard descending else { continue }
                var all: [String] = []
                var after: [ReportKey]?
                repeat {
                    let page = try await second.accessLog(query.page(offset: 0, limit: 7000, countsTotal: false, after: after))
                    all += page.entries.map { "\($0.member) \($0.url)" }
                    after = page.entries.isEmpty ? nil : page.next
                } while after != nil
                #expect(all == expected, "\(order) \(descending): \(all.count) rows")
            }
        }
        // The readers report: one row per member and document, all of it read on after each page
        // (in document order, and by views, whose ties are broken by member and path).
        for order in [ReadersOrder.document, .views] {
            let query = ReadersQuery(section: section, order: order, descending: true, limit: 20)
            let first = try await second.readers(query)
            #expect(first.total == 20_100 && first.readers.count == 20)
            var seen: [String] = []
            var after: [ReportKey]?
            repeat {
                let page = try await second.readers(query.page(offset: 0, limit: 9000, countsTotal: false, after: after))
                seen += page.readers.map { "\($0.member) \($0.document.path) \($0.views)" }
                after = page.readers.isEmpty ? nil : page.next
            } while after != nil
            #expect(Set(seen) == Set(rows.map { "\($0.member) \($0.path) \($0.count)" }) && seen.count == 20_100, "\(order)")
        }
        // Openings: the first view per member, in the large section and in a small one.
        #expect(try await second.openings(under: section) == (0..<201).map { t0.addingTimeInterval(Double($0 * 100)) })
        #expect(try await second.openings(under: try SectionPath("/big/d005")) == (0..<201).map { t0.addingTimeInterval(Double($0 * 100 + 5)) })

        // The totals follow purges and retention.
        #expect(try await store.purge(member: "m000") == 115)
        #expect(try await second.accessLog(AccessLogQuery(section: section)).total == 20_000)
        #expect(try await second.readers(ReadersQuery(section: section)).total == 20_000)
        // Members 1 to 99 viewed their documents before 10,000 s, the seventh ones again later.
        #expect(try await store.purgeViews(before: t0.addingTimeInterval(10_000), everything: true) == 9_900)
        let kept = try await second.accessLog(AccessLogQuery(section: section, limit: 20_000))
        #expect(kept.total == kept.entries.count && kept.total == 10_100 + 99 * 15)
        #expect(try await second.readers(ReadersQuery(section: section)).total == kept.total)
    }
}
