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
