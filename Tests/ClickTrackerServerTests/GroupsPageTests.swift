import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

/// The Groups page of the control panel over a live socket.
@Suite("Groups page")
struct GroupsPageTests {
    @Test("An admin sets a group from CSV (CSRF checked), sees it escaped, downloads it; names show in reports; members are refused")
    func groups() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            let page = try await admin.get("/_clicktracker/groups")
            #expect(page.body.contains("No groups yet."))
            let csrf = try admin.csrfToken(in: page.body)
            let csv = "user,name,email\nalice,<script>alert(1)</script>,alice@example.org\nbob,Bob Baker,\n"
            #expect(
                try await admin.post("/_clicktracker/groups", form: [("csrf", "forged"), ("action", "set"), ("name", "board"), ("csv", csv)]).status
                    == 403
            )
            let bad = try await admin.post("/_clicktracker/groups", form: [("csrf", csrf), ("action", "set"), ("name", "board"), ("csv", "name\nx")])
            #expect(bad.status == 400 && bad.body.contains("no user column"))
            #expect(
                try await admin.post("/_clicktracker/groups", form: [("csrf", csrf), ("action", "set"), ("name", " "), ("csv", csv)]).status == 400
            )
            let created = try await admin.post("/_clicktracker/groups", form: [("csrf", csrf), ("action", "set"), ("name", "board"), ("csv", csv)])
            #expect(created.status == 302 && created.header("Location") == "/_clicktracker/groups?name=board&done=group-created")

            let group = try await admin.get("/_clicktracker/groups?name=board").body
            #expect(group.contains("<td class=\"member\">alice</td><td>&lt;script&gt;alert(1)&lt;/script&gt;</td><td>alice@example.org</td>"))
            #expect(!group.contains("<script>alert(1)"))
            let download = try await admin.get("/_clicktracker/groups/export?name=board")
            #expect(download.header("Content-Type") == "text/csv; charset=utf-8")
            #expect(download.header("Content-Disposition") == "attachment; filename=\"board.csv\"")
            #expect(download.body == "user,name,email\r\nalice,<script>alert(1)</script>,alice@example.org\r\nbob,Bob Baker,\r\n")
            let json = try JSONValue.parse(try await admin.get("/_clicktracker/groups/export?name=board&format=json").body)
            #expect(json["report"] == .string("group") && json["group"] == .string("board") && json["total"] == .integer(2))
            #expect(json["rows"]?.array?.last == .object(["user": .string("bob"), "name": .string("Bob Baker"), "email": .null]))
            #expect(
                try await admin.get("/_clicktracker/groups").body.contains(
                    "<td><a href=\"/_clicktracker/groups?name=board\">board</a></td><td>2</td>"
                )
            )

            // Reports show the name beside the id.
            let bob = HTTPSession(port: port)
            try await bob.signIn("bob")
            try await bob.view("/papers/budget.html")
            #expect(try await bob.get("/_clicktracker/groups").status == 403)
            let report = try await admin.get("/_clicktracker/tracking?path=/papers").body
            #expect(report.contains("<td class=\"member\">Bob Baker <span class=\"muted\">bob</span></td>"))

            #expect(
                try await admin.post("/_clicktracker/groups", form: [("csrf", csrf), ("action", "delete"), ("name", "board"), ("confirmed", "yes")])
                    .status == 302
            )
            #expect(try await admin.get("/_clicktracker/groups?name=board").status == 404)
            await bob.close()
            await admin.close()
        }
    }
}
