import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTracker

/// What the admin forms say back: a change is confirmed on the page it leads to, a change that
/// cannot be undone asks first (and changes nothing until confirmed), a refused form keeps what
/// was typed, and paths can be set never to be tracked.
@Suite("Admin forms")
struct AdminFormsTests {
    @Test("Deleting a group or a request, revoking a token and disabling tracking ask first; each change is confirmed on its page")
    func confirmations() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            let csrf = try admin.csrfToken(in: try await admin.get("/_clicktracker/groups").body)

            // A group: created (said so), then a delete that asks first and changes nothing until confirmed.
            let created = try await admin.post(
                "/_clicktracker/groups",
                form: [("csrf", csrf), ("action", "set"), ("form", "new"), ("name", "board"), ("csv", "user,name,email\nalice,Alice,\n")]
            )
            let groupPage = try #require(created.header("Location"))
            #expect(try await admin.get(groupPage).body.contains("<p class=\"state done\" role=\"status\" id=\"done\">The group was created.</p>"))
            // The New group form never replaces an existing group's members.
            let again = try await admin.post(
                "/_clicktracker/groups",
                form: [("csrf", csrf), ("action", "set"), ("form", "new"), ("name", "board"), ("csv", "user,name,email\nbob,Bob,\n")]
            )
            #expect(again.status == 400 && again.body.contains("id=\"group-name-error\">There is already a group named board"))
            let asked = try await admin.post("/_clicktracker/groups", form: [("csrf", csrf), ("action", "delete"), ("name", "board")])
            #expect(
                asked.status == 200 && asked.body.contains("<h1>Delete the group board?</h1>") && asked.body.contains("list of 1 member is deleted")
            )
            #expect(asked.body.contains("<input type=\"hidden\" name=\"confirmed\" value=\"yes\">"))
            let store = try await fixture.store()
            #expect(try await store.groups().map(\.name) == ["board"])
            try await store.close()
            let deleted = try await admin.post(
                "/_clicktracker/groups",
                form: [("csrf", csrf), ("action", "delete"), ("name", "board"), ("confirmed", "yes")]
            )
            #expect(deleted.header("Location") == "/_clicktracker/groups?done=group-deleted")
            #expect(try await admin.get("/_clicktracker/groups?done=group-deleted").body.contains("The group was deleted."))
            // A key that is not a notice shows nothing (the text never comes from the URL).
            #expect(!(try await admin.get("/_clicktracker/groups?done=%3Cb%3Ehi").body.contains("id=\"done\"")))

            // A bad CSV for a new group comes back beside the field, with the name and CSV kept.
            let bad = try await admin.post(
                "/_clicktracker/groups",
                form: [("csrf", csrf), ("action", "set"), ("form", "new"), ("name", "audit <committee>"), ("csv", "name\nx")]
            )
            #expect(bad.status == 400)
            #expect(bad.body.contains("<p class=\"field-error\" id=\"group-csv-error\">The group was not saved: "))
            #expect(
                bad.body.contains("value=\"audit &lt;committee&gt;\"")
                    && bad.body.contains("aria-invalid=\"true\" aria-describedby=\"group-csv-error\">name\nx</textarea>")
            )

            // A request: deleting asks first.
            let requestForm = [
                ("csrf", csrf), ("action", "create"), ("title", "Board"), ("path", "/papers"), ("members", "alice"),
                ("date", "2030-12-03"), ("time", "10:00"), ("time-zone", "UTC"),
            ]
            let request = try #require(try await admin.post("/_clicktracker/requests", form: requestForm).header("Location"))
            #expect(request.hasSuffix("?done=request-created"))
            #expect(try await admin.get(request).body.contains("The reading request was created."))
            let id = try #require(try await fixture.readingRequests().first?.id)
            let askedRequest = try await admin.post("/_clicktracker/requests", form: [("csrf", csrf), ("action", "delete"), ("id", String(id))])
            #expect(askedRequest.body.contains("<h1>Delete the reading request “Board”?</h1>"))
            #expect(try await fixture.readingRequests().count == 1)

            // Disabling tracking asks first; enabling a path nothing is known under warns.
            let askedDisable = try await admin.post("/_clicktracker/tracking", form: [("csrf", csrf), ("action", "disable"), ("path", "/papers")])
            #expect(askedDisable.body.contains("<h1>Stop tracking /papers?</h1>"))
            #expect(try await fixture.trackedSections() == [try SectionPath("/papers")])
            let enabled = try await admin.post("/_clicktracker/tracking", form: [("csrf", csrf), ("action", "enable"), ("path", "/minutes")])
            let minutes = try await admin.get(try #require(enabled.header("Location"))).body
            #expect(minutes.contains("Tracking is enabled: reads of pages here are recorded from now on."))
            #expect(minutes.contains("id=\"warning\">Nothing is known under /minutes yet"))
            let known = try await admin.post("/_clicktracker/tracking", form: [("csrf", csrf), ("action", "enable"), ("path", "/public")])
            #expect(!(try await admin.get(try #require(known.header("Location"))).body.contains("id=\"warning\"")))

            // A policy with a number out of range comes back with the error and the numbers as typed.
            let policy = try await admin.post(
                "/_clicktracker/tracking",
                form: [
                    ("csrf", csrf), ("action", "policy"), ("path", "/papers"), ("words-per-minute", "0"), ("maximum-seconds", "600"),
                    ("minimum-seconds", "30"), ("requires-acknowledgement", "yes"),
                ]
            )
            #expect(policy.status == 400 && policy.body.contains("id=\"policy-error\" role=\"alert\">Not saved: Words per minute must be"))
            #expect(policy.body.contains("name=\"words-per-minute\" min=\"1\" max=\"10000\" value=\"0\""))
            #expect(policy.body.contains("name=\"requires-acknowledgement\" value=\"yes\" checked"))
            await admin.close()
        }
    }

    @Test("A path set never to be tracked on the Tracking page gets no script, even inside a tracked section, until it is removed")
    func neverTracked() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            let admin = HTTPSession(port: port)
            try await admin.signIn("chair")
            let overview = try await admin.get("/_clicktracker/").body
            // The configuration file's path is listed, and cannot be removed here.
            #expect(overview.contains("<li>/papers/ignored.html <span class=\"muted\">(set in the configuration file)</span></li>"))
            let csrf = try admin.csrfToken(in: overview)
            let reader = HTTPSession(port: port)
            try await reader.signIn("alice")
            #expect(viewToken(in: try await reader.get("/papers/annex/appendix.html").body) != nil)

            let ignored = try await admin.post("/_clicktracker/tracking", form: [("csrf", csrf), ("action", "ignore"), ("path", "/papers/annex")])
            #expect(ignored.header("Location") == "/_clicktracker/?done=path-ignored#ignored-paths")
            #expect(try await admin.get("/_clicktracker/").body.contains("aria-label=\"Track /papers/annex again\""))
            #expect(viewToken(in: try await reader.get("/papers/annex/appendix.html").body) == nil)
            #expect(viewToken(in: try await reader.get("/papers/budget.html").body) != nil)
            let page = try await admin.get("/_clicktracker/tracking?path=/papers/annex/appendix.html").body
            #expect(page.contains("Never tracked: it is under /papers/annex, listed under “Never tracked” on the Tracking page."))
            #expect(try await admin.post("/_clicktracker/tracking", form: [("csrf", csrf), ("action", "ignore"), ("path", "/")]).status == 400)

            _ = try await admin.post("/_clicktracker/tracking", form: [("csrf", csrf), ("action", "unignore"), ("path", "/papers/annex")])
            #expect(viewToken(in: try await reader.get("/papers/annex/appendix.html").body) != nil)
            let store = try await fixture.store()
            #expect(try await store.ignoredPaths().isEmpty)
            try await store.close()
            await reader.close()
            await admin.close()
        }
    }
}
