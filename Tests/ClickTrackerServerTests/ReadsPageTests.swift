import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

/// A person's history: readers see their own reads and nothing else; administrators anyone's.
@Suite("My reads")
struct ReadsPageTests {
    @Test("A reader sees their own reads with the evidence, never another's; an admin sees anyone's")
    func reads() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            for member in ["alice", "bob"] {
                let session = HTTPSession(port: port)
                try await session.signIn(member)
                let path = member == "alice" ? "/papers/budget.html" : "/papers/index.html"
                try await session.view(path)
                await session.close()
            }
            let anonymous = HTTPSession(port: port)
            #expect(try await anonymous.get("/_clicktracker/reads").status == 302)
            await anonymous.close()

            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            let own = try await alice.get("/_clicktracker/reads")
            #expect(own.status == 200 && own.body.contains("<h1>My reads</h1>"))
            #expect(own.body.contains("Budget 2027 (/papers/budget.html)") && !own.body.contains("/papers/index.html"))
            #expect(
                own.body.contains(
                    "<td class=\"verdict\" data-level=\"opened\"><span class=\"badge opened\">opened</span></td><td class=\"counts\">no</td>"
                )
            )
            #expect(try await alice.get("/_clicktracker/reads?member=bob").status == 403)
            #expect(try await alice.get("/_clicktracker/reads?member=alice").status == 200)
            await alice.close()

            let chair = HTTPSession(port: port)
            try await chair.signIn("chair")
            let bob = try await chair.get("/_clicktracker/reads?member=bob")
            #expect(bob.status == 200 && bob.body.contains("<h1>Reads of bob</h1>"))
            #expect(bob.body.contains("/papers/index.html") && !bob.body.contains("budget.html"))
            #expect(try await chair.get("/_clicktracker/reads").body.contains("No reads recorded."))
            await chair.close()
        }
    }
}
