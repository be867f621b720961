import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTrackerServer

/// Reading requests over a live socket: who had read the papers by the deadline.
@Suite("Reading requests page")
struct RequestsPageTests {
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

    @Test("Readers before, after and never: statuses at the deadline, late reads, counts; the deadline in its time zone; CSV and JSON match")
    func request() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        // A quick read suffices: the budget paper has 4 words.
        try await fixture.track("/papers", policy: ReadingPolicy(wordsPerMinute: 10_000, maximumSeconds: 60, minimumSeconds: 0))
        try await fixture.withServer { port in
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            let csrf = try admin.csrfToken(in: try await admin.get("/_clicktracker/groups").body)
            let csv = "user,name,email\nalice,Alice Archer,\nbob,<b>Bob</b>,\nchair,Chair Person,\n"
            #expect(
                try await admin.post("/_clicktracker/groups", form: [("csrf", csrf), ("action", "set"), ("name", "board"), ("csv", csv)]).status
                    == 302
            )

            // alice reads the paper and the chair only opens it; the deadline follows, given in New York's time.
            try await Self.read("/papers/budget.html", as: "alice", port: port, activeFor: 5)
            try await Self.read("/papers/budget.html", as: "chair", port: port, activeFor: nil)
            let deadline = Date().addingTimeInterval(1).timeIntervalSince1970.rounded(.up)
            let newYork = TimeZone(identifier: "America/New_York")!
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = newYork
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: deadline))
            let date = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
            let time = String(format: "%02d:%02d:%02d", parts.hour!, parts.minute!, parts.second!)
            let form: [(String, String)] = [
                ("csrf", csrf), ("action", "create"), ("title", "Board <meeting>"), ("path", "/papers"), ("group", "board"),
                ("members", "dave"), ("date", date), ("time", time), ("time-zone", "America/New_York"),
            ]
            for (name, bad) in [("date", "2026-02-30"), ("time-zone", "Mars/Olympus"), ("path", "papers"), ("title", "")] {
                let refused = try await admin.post("/_clicktracker/requests", form: form.map { $0.0 == name ? (name, bad) : $0 })
                #expect(refused.status == 400, "\(name)=\(bad)")
            }
            let created = try await admin.post("/_clicktracker/requests", form: form)
            #expect(created.status == 302)
            let url = try #require(created.header("Location"))
            let stored = try #require(try await fixture.readingRequests().first)
            #expect(stored.deadline == Date(timeIntervalSince1970: deadline) && stored.timeZone == "America/New_York")

            // bob reads it after the deadline.
            try await Task.sleep(for: .seconds(max(0, Date(timeIntervalSince1970: deadline).timeIntervalSinceNow) + 0.5))
            try await Self.read("/papers/budget.html", as: "bob", port: port, activeFor: 5)

            let page = try await admin.get(url).body
            #expect(page.contains("<h1>Board &lt;meeting&gt;</h1>"))
            #expect(page.contains("deadline " + RequestsController.format(Date(timeIntervalSince1970: deadline), timeZone: "America/New_York")))
            #expect(page.contains("(America/New_York)"))
            #expect(page.contains("<strong>1 of 4 had read it by the deadline</strong>"))
            #expect(page.contains("1 only opened it") && page.contains("2 have not opened it") && page.contains("1 caught up after the deadline"))
            #expect(!page.contains("<b>Bob</b>") && page.contains("&lt;b&gt;Bob&lt;/b&gt;"))
            let order = page.components(separatedBy: "<td class=\"member\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
            // Those who had not read it first: bob (late) and dave, then the chair (opened), then alice.
            #expect(order == ["&lt;b&gt;Bob&lt;/b&gt; ", "dave", "Chair Person ", "Alice Archer "])
            #expect(page.contains("<td class=\"stage not-opened\">not opened</td><td class=\"late\">read, after the deadline</td>"))
            // The chart: a step up for each of the three who opened it, and the deadline.
            let points = try #require(page.components(separatedBy: "points=\"").dropFirst().first?.prefix { $0 != "\"" })
            let steps = points.split(separator: " ").count
            #expect(steps == 8)
            #expect(page.contains("3 of 4 expected readers had opened it by now"))

            let exported = try await admin.get(url + "?format=csv")
            #expect(exported.header("Content-Type") == "text/csv; charset=utf-8")
            let lines = exported.body.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(
                lines.first
                    == "user,name,email,status_at_deadline,late,status_now,documents_read_at_deadline,documents_read_now,first_view,last_view"
            )
            #expect(lines.dropFirst().map { $0.components(separatedBy: ",")[0] } == ["bob", "dave", "chair", "alice"])
            #expect(lines[1].hasPrefix("bob,<b>Bob</b>,,not opened,yes,read,0,1,20"))
            #expect(lines[2] == "dave,,,not opened,no,not opened,0,0,,")
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(try await admin.get(url + "?format=json").body.utf8)) as? [String: Any]
            )
            let counts = ["expected", "read", "opened", "not_opened", "late", "documents"].map { json[$0] as? Int }
            #expect(counts == [4, 1, 1, 2, 1, 1])
            #expect(json["report"] as? String == "request" && json["id"] as? Int == Int(stored.id) && json["total"] as? Int == 4)
            let readers = try #require(json["rows"] as? [[String: Any]])
            #expect(readers.map { $0["user"] as? String } == ["bob", "dave", "chair", "alice"])
            #expect(readers.map { $0["status_at_deadline"] as? String } == ["not opened", "not opened", "opened", "read"])
            #expect(readers.map { $0["late"] as? Bool } == [true, false, false, false])
            #expect(readers[1]["last_view"] is NSNull && readers[0]["name"] as? String == "<b>Bob</b>")

            let member = HTTPSession(port: port)
            try await member.signIn("alice")
            #expect(try await member.get(url).status == 403)
            await member.close()
            #expect(
                try await admin.post("/_clicktracker/requests", form: [("csrf", csrf), ("action", "delete"), ("id", String(stored.id))]).status == 302
            )
            #expect(try await admin.get(url).status == 404)
            await admin.close()
        }
    }
}
