import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTracker
@testable import ClickTrackerServer

/// Every report's CSV and JSON downloads over a live socket: the page's rows and columns, hostile
/// titles and names escaped on the page and defused in CSV, readers limited to their own, and
/// every look in the audit log.
@Suite("Report downloads and the audit log")
struct ReportExportTests {
    static let hostileTitle = "=HYPERLINK(\"http://evil\") <img src=x onerror=alert(1)>"
    static let hostileName = "+cmd|' /C calc'!A0 <b>Alice</b>"

    /// CSV text as rows of fields (quoted fields may hold commas and quotes).
    static func rows(_ csv: String) throws -> [[String]] {
        try PeopleCSV.records(csv)
    }

    @Test(
        "Times are written in ISO 8601, UTC, whole seconds, as Foundation writes them",
        arguments: [-86_400.5, 0, 951_782_400, 1_800_000_000.999, 4_102_444_799]
    )
    func times(_ seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(ReportCell.iso8601(date) == Date(timeIntervalSince1970: seconds.rounded(.down)).formatted(.iso8601))
    }

    @Test("The access log, readers and a person's history download as CSV and JSON with the page's rows; hostile values are escaped and defused")
    func downloads() async throws {
        let escapedTitle = HTML.escape(Self.hostileTitle)
        let fixture = try await ServerFixture(extraFiles: [
            "papers/hostile.html": ServerFixture.document(title: HTML.escape(Self.hostileTitle), body: "<p>Hostile.</p>")
        ])
        defer { fixture.remove() }
        let store = try await fixture.store()
        try await store.setTracked(try SectionPath("/papers"), true)
        try await store.setGroup("board", members: [Person(member: "alice", displayName: Self.hostileName)])
        try await store.close()
        try await fixture.withServer { port in
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            try await alice.view("/papers/hostile.html")
            try await alice.view("/papers/budget.html")
            let bob = HTTPSession(port: port)
            try await bob.signIn("bob")
            try await bob.view("/papers/budget.html")

            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            let base = "/_clicktracker/tracking?path=%2Fpapers"
            let page = try await admin.get(base).body
            #expect(!page.contains("<img src=x") && !page.contains("<b>Alice</b>"))
            #expect(page.contains(escapedTitle) && page.contains(HTML.escape(Self.hostileName)))
            // The chart of who opened anything here: both readers.
            #expect(page.contains("<figure id=\"reads-chart\">") && page.contains("2 of 2 people had opened it by now."))
            #expect(!page.contains("deadline</text>"))
            let pageLog = page.components(separatedBy: "<td class=\"url\">").dropFirst().map { $0.contains("hostile") ? "hostile" : "budget" }
            #expect(pageLog == ["budget", "hostile", "budget"])

            // The access log: the page's order, ISO times, formulas defused, one row each.
            let csvLink = try #require(page.firstMatch(of: /<a href="([^"]+)" id="access-log-csv">/)?.1)
            let log = try await admin.get(String(csvLink).replacingOccurrences(of: "&amp;", with: "&"))
            #expect(log.status == 200 && log.header("Content-Disposition") == "attachment; filename=\"access-log.csv\"")
            let logRows = try Self.rows(log.body)
            #expect(logRows.first == ["user", "name", "url", "title", "count", "first_access", "last_access"])
            #expect(
                logRows.dropFirst().map { "\($0[0]) \($0[2])" } == [
                    "alice /papers/budget.html", "alice /papers/hostile.html", "bob /papers/budget.html",
                ]
            )
            #expect(logRows[2][1] == "'" + Self.hostileName && logRows[2][3] == "'" + Self.hostileTitle)
            #expect(logRows[3][1] == "" && (try? Date.ISO8601FormatStyle().parse(logRows[3][5])) != nil)

            let json = try JSONValue.parse(try await admin.get(base + "&sort=url&order=desc&format=json").body)
            #expect(json["report"] == .string("access-log") && json["section"] == .string("/papers") && json["total"] == .integer(3))
            let jsonRows = try #require(json["rows"]?.array)
            #expect(jsonRows.map { $0["url"]?.string ?? "" } == ["/papers/hostile.html", "/papers/budget.html", "/papers/budget.html"])
            #expect(jsonRows[0]["title"] == .string(Self.hostileTitle) && jsonRows[0]["count"] == .integer(1))
            #expect(try await admin.get(base + "&format=json").body.contains("\\u003cimg"))

            // The readers table, sorted as on the page.
            let readers = try await admin.get(base + "&readers-sort=member&readers-order=desc&report=readers&format=csv")
            let readerRows = try Self.rows(readers.body)
            #expect(readerRows.first == Reports.readerColumns)
            #expect(readerRows.dropFirst().map(\.first) == ["bob", "alice", "alice"])
            #expect(readerRows[1][4] == "opened" && readerRows[1][5] == "no" && readerRows[1][14] == "1")
            #expect(try await admin.get(base + "&report=everything&format=csv").status == 400)
            #expect(try await admin.get(base + "&format=xml").status == 400)

            // A person's history: their own for a reader, anyone's for an administrator, nobody else's.
            let own = try await alice.get("/_clicktracker/reads?format=csv")
            #expect(own.status == 200 && own.header("Content-Disposition") == "attachment; filename=\"reads-alice.csv\"")
            #expect(try Self.rows(own.body).dropFirst().map { $0[2] } == ["/papers/budget.html", "/papers/hostile.html"])
            #expect(try await alice.get("/_clicktracker/reads?member=bob&format=csv").status == 403)
            #expect(try await alice.get("/_clicktracker/reads?member=bob&format=json").status == 403)
            let bobs = try JSONValue.parse(try await admin.get("/_clicktracker/reads?member=bob&format=json").body)
            #expect(bobs["report"] == .string("history") && bobs["user"] == .string("bob") && bobs["total"] == .integer(1))

            // Readers never see the audit log; administrators see every look, their own included.
            #expect(try await alice.get("/_clicktracker/audit").status == 403)
            let audit = try await admin.get("/_clicktracker/audit").body
            for line in [
                ("chair", "tracking page", "/papers"), ("chair", "access-log csv", "/papers"), ("chair", "readers csv", "/papers"),
                ("alice", "history csv", "alice"), ("chair", "history json", "bob"),
            ] {
                #expect(audit.contains("<td class=\"actor\">\(line.0)</td><td class=\"action\">\(line.1)</td><td class=\"subject\">\(line.2)</td>"))
            }
            let auditCSV = try Self.rows(try await admin.get("/_clicktracker/audit?format=csv").body)
            #expect(auditCSV.first == ["at", "actor", "action", "subject"] && auditCSV.count >= 8)
            for session in [alice, bob, admin] { await session.close() }
        }
    }
}
