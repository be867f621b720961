import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTracker
@testable import ClickTrackerServer

/// Reading requests over a live socket: who had read the papers by the deadline.
@Suite("Reading requests page")
struct RequestsPageTests {
    /// The documents of the fixture's /papers (its ignored cover sheet left out), in the request's order.
    static let papers = ["/papers", "/papers/annex/appendix.html", "/papers/budget.html"]

    /// Reads a page as `member`: the view, and a report of `seconds` of activity a moment later.
    static func read(_ path: String, as member: String, port: Int, activeFor seconds: Int?) async throws {
        let session = HTTPSession(port: port)
        try await session.signIn(member)
        let token = try await session.view(path)
        if let seconds {
            try await Task.sleep(for: .milliseconds(300))
            let report = [("event", "report"), ("token", token), ("q", "1"), ("a", String(seconds * 1000)), ("s", "100"), ("r", "1"), ("w", "0")]
            #expect(try await session.post("/_clicktracker/beacon", form: report).status == 204)
        }
        await session.close()
    }

    /// Reads every paper of the fixture's /papers as `member`, each with a little active time.
    static func readEverything(as member: String, port: Int) async throws {
        for path in ["/papers/", "/papers/annex/appendix.html", "/papers/budget.html"] {
            try await read(path, as: member, port: port, activeFor: 5)
        }
    }

    /// A fixture whose /papers counts any read with a little active time.
    static func fixture() async throws -> ServerFixture {
        let fixture = try await ServerFixture()
        // A quick read suffices: the papers have a handful of words.
        try await fixture.track("/papers", policy: ReadingPolicy(wordsPerMinute: 10_000, maximumSeconds: 60, minimumSeconds: 0))
        return fixture
    }

    /// Signs the chair in and makes the group "board": alice, bob and the chair.
    static func chair(port: Int) async throws -> (HTTPSession, csrf: String) {
        let admin = HTTPSession(port: port)
        try await admin.signIn("chair")
        let csrf = try admin.csrfToken(in: try await admin.get("/_clicktracker/groups").body)
        let csv = "user,name,email\nalice,Alice Archer,\nbob,<b>Bob</b>,\nchair,Chair Person,\n"
        #expect(
            try await admin.post("/_clicktracker/groups", form: [("csrf", csrf), ("action", "set"), ("name", "board"), ("csv", csv)]).status == 302
        )
        return (admin, csrf)
    }

    /// One reader's row of the grid as the page shows it.
    struct GridRow: Equatable {
        var member: String
        var stage: String
        var read: String
        var cells: [String]
    }

    /// The grid of a request page: each row's reader, overall stage, "n of m" and cells (`stage` or `stage → now`).
    static func grid(_ page: String) -> [GridRow] {
        page.components(separatedBy: "<th scope=\"row\" class=\"member\">").dropFirst().map { row in
            let member = String(row.prefix { $0 != "<" }).trimmingCharacters(in: .whitespaces)
            func texts(_ marker: String) -> [String] {
                row.components(separatedBy: marker).dropFirst().map { part in
                    String(part.drop { $0 != ">" }.dropFirst().prefix { $0 != "<" })
                }
            }
            return GridRow(
                member: member,
                stage: texts("<td class=\"stage\"><span class=\"badge ").first ?? "",
                read: texts("<td class=\"documents\"").first ?? "",
                cells: texts("<td class=\"cell ")
            )
        }
    }

    /// Checks that the page's headline, counts, chart and grid, the CSV and the JSON all say the same.
    static func checkAgreement(_ admin: HTTPSession, _ location: String, expected: RequestGrid.Counts, past: Bool) async throws {
        // The page, without the notice a form's redirect adds.
        let url = location.components(separatedBy: "?")[0]
        let page = try await admin.get(url).body
        let rows = grid(page)
        let all = "all \(papers.count) documents"
        // The grid.
        #expect(rows.count == expected.expected)
        #expect(rows.filter { ["read", "acknowledged"].contains($0.stage) }.count == expected.read)
        #expect(rows.filter { $0.stage == "opened" }.count == expected.opened)
        #expect(rows.filter { $0.stage == "not opened" }.count == expected.notOpened)
        #expect(rows.filter { $0.cells.contains { $0.contains(" → ") } && $0.stage != "read" }.count >= expected.late)
        for row in rows {
            let stages = row.cells.map { $0.components(separatedBy: " → ")[0] }
            #expect(row.read == "\(stages.filter { $0 == "read" || $0 == "acknowledged" }.count) of \(papers.count)", "\(row.member)")
            let overall =
                stages.allSatisfy { $0 == "read" || $0 == "acknowledged" } ? "read" : stages.contains { $0 != "not opened" } ? "opened" : "not opened"
            #expect(row.stage == overall, "\(row.member)")
        }
        // The headline, the counts and the chart.
        let verb = past ? "had" : "have"
        #expect(page.contains("<strong>\(expected.read) of \(expected.expected) \(verb) read \(all)\(past ? " by the deadline" : "")</strong>"))
        #expect(page.contains("\(expected.opened) \(verb) opened some but not read \(all)"))
        #expect(page.contains("\(expected.notOpened) \(verb) opened none"))
        #expect(page.contains("\(expected.late) read \(all) after the deadline") == past)
        let when = past ? "by the deadline" : "by now"
        #expect(
            page.contains(
                "\(expected.read + expected.opened) of \(expected.expected) expected readers had opened any and \(expected.read) had read \(all) \(when)"
            )
        )

        // The JSON: the same counts, one row per reader and document with the grid's stages.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try await admin.get(url + "?format=json").body.utf8)) as? [String: Any])
        let counts = ["expected", "read", "opened", "not_opened", "late", "documents"].map { json[$0] as? Int }
        #expect(counts == [expected.expected, expected.read, expected.opened, expected.notOpened, expected.late, papers.count])
        #expect(json["status_at"] as? String == (past ? "deadline" : "now") && (json["frozen_at"] is NSNull) == !past)
        let cells = try #require(json["rows"] as? [[String: Any]])
        #expect(cells.count == expected.expected * papers.count)
        for (index, row) in rows.enumerated() {
            let mine = cells.dropFirst(index * papers.count).prefix(papers.count)
            #expect(mine.map { $0["path"] as? String } == papers)
            #expect(Set(mine.map { $0["reader_status"] as? String }) == [row.stage])
            let shown = mine.map { cell in
                let (stage, now) = (cell["status"] as? String ?? "", cell["status_now"] as? String ?? "")
                return stage == now ? stage : "\(stage) → \(now)"
            }
            #expect(shown == row.cells, "\(row.member)")
        }

        // The CSV: the JSON's rows.
        let csv = try PeopleCSV.records(try await admin.get(url + "?format=csv").body)
        #expect(csv.first?.prefix(9) == ["user", "name", "email", "reader_status", "documents_read", "path", "title", "status", "status_now"])
        let csvCells: [[String]] = csv.dropFirst().map { [$0[0], $0[3], $0[5], $0[7], $0[8]] }
        let jsonCells: [[String]] = cells.map { cell in ["user", "reader_status", "path", "status", "status_now"].map { cell[$0] as? String ?? "" } }
        #expect(csvCells == jsonCells)
    }

    @Test(
        "One grid, one truth: readers who read none, some and all; counts, chart, grid, CSV and JSON agree; 'now' before the deadline, 'at the deadline' and 'since' after"
    )
    func oneGrid() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let (admin, csrf) = try await Self.chair(port: port)
            // alice reads every paper, the chair only the budget; bob and dave nothing yet.
            try await Self.readEverything(as: "alice", port: port)
            try await Self.read("/papers/budget.html", as: "chair", port: port, activeFor: 5)

            // A deadline that has just passed (after those reads), given in New York's time.
            let deadline = Date().timeIntervalSince1970.rounded(.up)
            try await Task.sleep(for: .seconds(max(0, Date(timeIntervalSince1970: deadline).timeIntervalSinceNow) + 0.2))
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "America/New_York")!
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: deadline))
            let form: [(String, String)] = [
                ("csrf", csrf), ("action", "create"), ("title", "Board <meeting>"), ("path", "/papers"), ("group", "board"),
                ("members", "dave"), ("date", String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)),
                ("time", String(format: "%02d:%02d:%02d", parts.hour!, parts.minute!, parts.second!)), ("time-zone", "America/New_York"),
            ]
            for (name, bad) in [
                ("date", "2026-02-30"), ("time-zone", "Mars/Olympus"), ("path", "papers"), ("title", ""), ("documents", "not-a-path"),
            ] {
                let changed = form.contains { $0.0 == name } ? form.map { $0.0 == name ? (name, bad) : $0 } : form + [(name, bad)]
                let refused = try await admin.post("/_clicktracker/requests", form: changed)
                #expect(refused.status == 400, "\(name)=\(bad)")
            }
            #expect(try await fixture.readingRequests().isEmpty)

            // Before a deadline (another request, due in 2030): where everyone stands now.
            let future = form.map { ["date": ("date", "2030-12-03"), "time": ("time", "10:00")][$0.0] ?? $0 }
            let ahead = try #require(try await admin.post("/_clicktracker/requests", form: future).header("Location"))
            let before = try await admin.get(ahead).body
            #expect(before.contains("<h1>Board &lt;meeting&gt;</h1>") && !before.contains("<b>Bob</b>") && before.contains("&lt;b&gt;Bob&lt;/b&gt;"))
            // "Now" is the column the readers are sorted by (those furthest behind first); a click reverses it.
            let page = ahead.components(separatedBy: "?")[0]
            #expect(
                before.contains("<th aria-sort=\"ascending\"><a href=\"\(page)?show=all&amp;sort=status&amp;order=desc#readers\">Now</a> ▲</th>")
            )
            #expect(!before.contains(">Since</th>"))
            try await Self.checkAgreement(admin, ahead, expected: .init(expected: 4, read: 1, opened: 1, notOpened: 2, late: 0), past: false)
            // Those furthest behind first: bob and dave (none), the chair (1 of 3), alice (all).
            #expect(Self.grid(before).map(\.member) == ["&lt;b&gt;Bob&lt;/b&gt;", "dave", "Chair Person", "Alice Archer"])
            #expect(Self.grid(before)[2].cells == ["not opened", "not opened", "read"])
            // Sorted the other way, readers who tie (bob and dave, none read) stay in name order;
            // by name; and only those who have not read everything.
            let descending = try await admin.get(page + "?show=all&sort=status&order=desc").body
            #expect(Self.grid(descending).map(\.member) == ["Alice Archer", "Chair Person", "&lt;b&gt;Bob&lt;/b&gt;", "dave"])
            let byName = try await admin.get(page + "?show=all&sort=name&order=asc").body
            #expect(Self.grid(byName).map(\.member) == ["&lt;b&gt;Bob&lt;/b&gt;", "Alice Archer", "Chair Person", "dave"])
            let notRead = try await admin.get(page + "?show=not-read&sort=read&order=desc").body
            #expect(Self.grid(notRead).map(\.member) == ["Chair Person", "&lt;b&gt;Bob&lt;/b&gt;", "dave"])
            #expect(
                notRead.contains("<a href=\"\(page)?show=not-read&amp;sort=read&amp;order=desc#readers\" aria-current=\"true\">Not read yet (3)</a>")
            )
            // The control panel's front page lists it with its headline and the time left.
            let overview = try await admin.get("/_clicktracker/").body
            #expect(overview.contains("<strong>1 of 4 have read all 3 documents</strong> · ") && overview.contains(" days left"))

            // The request whose deadline has passed; bob reads everything after it.
            let created = try await admin.post("/_clicktracker/requests", form: form)
            #expect(created.status == 302)
            let url = try #require(created.header("Location"))
            let stored = try #require(try await fixture.readingRequests().first)
            #expect(stored.deadline == Date(timeIntervalSince1970: deadline) && stored.timeZone == "America/New_York")
            #expect(stored.documents == Self.papers)
            try await Self.readEverything(as: "bob", port: port)
            // The request due in 2030 follows: bob's progress is summed up again.
            try await Self.checkAgreement(admin, ahead, expected: .init(expected: 4, read: 2, opened: 1, notOpened: 1, late: 0), past: false)
            let after = try await admin.get(url).body
            #expect(after.contains("deadline " + RequestsController.format(Date(timeIntervalSince1970: deadline), timeZone: "America/New_York")))
            #expect(after.contains("order=desc#readers\">At the deadline</a> ▲</th>") && after.contains("<th scope=\"col\">Since</th>"))
            try await Self.checkAgreement(admin, url, expected: .init(expected: 4, read: 1, opened: 1, notOpened: 2, late: 1), past: true)
            let bob = try #require(Self.grid(after).first)
            #expect(bob.stage == "not opened" && bob.cells == Array(repeating: "not opened → read", count: 3))
            #expect(after.contains("<td class=\"late\">read all "))
            // The status at the deadline is frozen once it has passed; the other request's is not.
            #expect(try await fixture.readingRequests().map { $0.frozenAt != nil } == [true, false])

            let member = HTTPSession(port: port)
            try await member.signIn("alice")
            #expect(try await member.get(url).status == 403)
            await member.close()
            #expect(
                try await admin.post(
                    "/_clicktracker/requests",
                    form: [("csrf", csrf), ("action", "delete"), ("id", String(stored.id)), ("confirmed", "yes")]
                ).status == 302
            )
            #expect(try await admin.get(url).status == 404)
            await admin.close()
        }
    }

    @Test("A request names its documents: one nobody opened counts against everyone; documents are added, found and removed")
    func documents() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let (admin, csrf) = try await Self.chair(port: port)
            try await Self.readEverything(as: "alice", port: port)
            let form: [(String, String)] = [
                ("csrf", csrf), ("action", "create"), ("title", "Board"), ("path", "/papers"), ("group", "board"), ("date", "2030-12-03"),
                ("time", "10:00"), ("time-zone", "UTC"), ("documents", "/papers/minutes.html\n"),
            ]
            // A folder with no documents, and nothing named, is refused with what to do.
            let empty = try await admin.post(
                "/_clicktracker/requests",
                form: form.map { ["path": ("path", "/nothing"), "documents": ("documents", "")][$0.0] ?? $0 }
            )
            #expect(empty.status == 400 && empty.body.contains("no documents were found under /nothing"))
            let url = try #require(try await admin.post("/_clicktracker/requests", form: form).header("Location"))
            let id = try #require(try await fixture.readingRequests().first?.id)
            #expect(try await fixture.readingRequests().first?.documents == Self.papers + ["/papers/minutes.html"])

            // Nobody has opened the minutes: alice has read 3 of 4, so not all.
            var page = try await admin.get(url).body
            #expect(page.contains("/papers/minutes.html · nobody has opened it yet"))
            #expect(page.contains("<strong>0 of 3 have read all 4 documents</strong>"))
            #expect(
                Self.grid(page).last
                    == GridRow(member: "Alice Archer", stage: "opened", read: "3 of 4", cells: ["read", "read", "read", "not opened"])
            )

            // Removed, alice has read them all; a bad path adds nothing; found documents are added once.
            let change = { (action: String, field: (String, String)) in
                try await admin.post("/_clicktracker/requests", form: [("csrf", csrf), ("action", action), ("id", String(id)), field])
            }
            #expect(try await change("remove-document", ("path", "/papers/minutes.html")).status == 302)
            page = try await admin.get(url).body
            #expect(page.contains("<strong>1 of 3 have read all 3 documents</strong>"))
            #expect(try await change("add-documents", ("documents", "/papers/a.html\nnot a path")).status == 400)
            #expect(try await change("find-documents", ("documents", "")).status == 302)
            #expect(try await fixture.readingRequests().first?.documents == Self.papers)
            #expect(try await change("add-documents", ("documents", "/papers/later.html")).status == 302)
            #expect(try await fixture.readingRequests().first?.documents == Self.papers + ["/papers/later.html"])
            #expect(try await admin.post("/_clicktracker/requests", form: [("action", "remove-document"), ("id", String(id))]).status == 403)
            await admin.close()
        }
    }
}
