import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTracker

/// Every admin page in a real headless Chromium, on a laptop's screen and a phone's: nothing is
/// wider than the window, the header says where you are, verdicts are badges with words, sorted
/// columns say so to screen readers, and a refused form keeps what was typed.
@Suite("Admin pages on a laptop and a phone (headless Chromium)", .serialized)
struct LayoutBrowserTests {
    let browserTests = BrowserTests()

    /// A document title long enough to wrap anywhere it is shown.
    static let longTitle = "Annual report of the audit and risk committee to the board, with its annexes and the auditors' letter"

    @Test("Every admin page fits 1,280 and 390 px; the header marks the page; badges, aria-sort and a refused form's kept input")
    func pagesFit() async throws {
        var fixture = try await ServerFixture()
        defer { fixture.remove() }
        fixture.configuration.initialSections = []
        try await fixture.track("/papers", policy: ReadingPolicy(wordsPerMinute: 200, maximumSeconds: 60, minimumSeconds: 1))
        let store = try await fixture.store()
        let long = StorageConformance.event("alice", "/papers/annual-report-of-the-audit-and-risk-committee-2026.html", title: Self.longTitle)
        try await store.record([long, StorageConformance.event("bob", "/papers/budget.html")])
        // alice spent the reading time on the long paper: a "read" badge beside bob's "opened".
        var report = long
        report.kind = .report
        report.viewedAt = long.viewedAt.addingTimeInterval(120)
        report.attention = Attention(sequence: 1, activeMilliseconds: 90_000, scrollPercent: 100, reachedEnd: true, automated: false)
        try await store.record([report])
        var budget = StorageConformance.event("alice", "/papers/budget.html")
        try await store.record([budget])
        budget.kind = .report
        budget.viewedAt = budget.viewedAt.addingTimeInterval(120)
        budget.attention = report.attention
        try await store.record([budget])
        try await store.setGroup(
            "Audit and risk committee of the board of trustees",
            members: [Person(member: "alice", displayName: "Alice Archer-Montgomery"), Person(member: "bob"), Person(member: "chair")]
        )
        let id = try await store.addReadingRequest(
            ReadingRequest(
                title: "Board meeting, 3 December: papers for the vote on the budget and the annual report",
                path: try SectionPath("/papers"),
                documents: ["/papers/annual-report-of-the-audit-and-risk-committee-2026.html", "/papers/budget.html"],
                group: "Audit and risk committee of the board of trustees",
                members: [],
                deadline: Date().addingTimeInterval(7 * 86_400),
                timeZone: "Europe/Berlin",
                createdBy: "chair"
            )
        )
        try await store.close()

        let pages = [
            "/", "/tracking?path=/papers", "/tracking?path=/papers&readers-columns=all", "/requests", "/requests/\(id)",
            "/requests/\(id)?show=not-read", "/groups", "/groups?name=Audit%20and%20risk%20committee%20of%20the%20board%20of%20trustees",
            "/storage", "/tokens", "/audit", "/reads", "/reads?member=alice&columns=all", "/logout",
        ]
        let fixed = fixture
        try await fixed.withServer { port in
            let base = "http://127.0.0.1:\(port)/_clicktracker"
            try await browserTests.withBrowser { browser in
                try await browserTests.signIn(browser, port: port, as: "chair")
                for (width, height, mobile) in [(1280, 800, false), (390, 844, true)] {
                    try await browser.emulateScreen(width: width, height: height, mobile: mobile)
                    for page in pages {
                        try await browser.navigate(to: base + page)
                        try await browserTests.waitForLoad(browser)
                        let sizes = try await browser.execute("return [document.documentElement.scrollWidth, window.innerWidth]") as? [Int]
                        #expect(sizes?.count == 2 && sizes?[1] == width, "\(page) at \(width) px: \(sizes ?? [])")
                        #expect((sizes?[0] ?? .max) <= width, "\(page) is wider than a \(width) px window: \(sizes ?? [])")
                        // Every link and button of the header is on screen (it wraps instead).
                        let header = try await browser.execute(
                            "return [...document.querySelectorAll('header a, header button')].every(e => e.getBoundingClientRect().right <= innerWidth)"
                        )
                        #expect(header as? Bool == true, "\(page) at \(width) px: the header runs off screen")
                    }
                }

                // The header is a navigation landmark with the current page marked.
                try await browser.navigate(to: base + "/requests/\(id)")
                try await browserTests.waitForLoad(browser)
                let current = try await browser.execute("return document.querySelector('header nav a[aria-current=page]').textContent")
                #expect(current as? String == "Requests")

                // Verdicts are badges with their words, in colours that differ; the sorted column says so.
                try await browser.navigate(to: base + "/tracking?path=/papers")
                try await browserTests.waitForLoad(browser)
                let badges =
                    try await browser.execute(
                        """
                        return [...document.querySelectorAll('#readers td.verdict .badge')].map(b =>
                            b.textContent + '|' + getComputedStyle(b).backgroundColor)
                        """
                    ) as? [String]
                let words = badges?.map { $0.components(separatedBy: "|")[0] }
                #expect(words?.sorted() == ["opened", "read", "read"], "\(badges ?? [])")
                #expect(Set(badges?.map { $0.components(separatedBy: "|")[1] } ?? []).count == 2, "\(badges ?? [])")
                let sorted = try await browser.execute(
                    "return [...document.querySelectorAll('th[aria-sort]')].map(th => th.closest('table').id + ' ' + th.textContent.trim() + ' ' + th.getAttribute('aria-sort'))"
                )
                #expect(sorted as? [String] == ["readers Member ▲ ascending", "access-log Member ▲ ascending"])

                // "Not read yet" lists the chair and bob (those furthest behind first), not alice, who read both.
                try await browser.navigate(to: base + "/requests/\(id)?show=not-read")
                try await browserTests.waitForLoad(browser)
                let notRead = try await browser.execute(
                    "return [...document.querySelectorAll('#request-grid tbody th')].map(th => th.textContent.trim())"
                )
                #expect(notRead as? [String] == ["chair", "bob"])

                // A request with an unknown time zone comes back with the error beside the field and
                // everything typed kept.
                try await browser.navigate(to: base + "/requests")
                try await browserTests.waitForLoad(browser)
                let zone = try await browser.execute("return document.querySelector('#request-zone').value") as? String
                #expect(zone == TimeZone.current.identifier, "the time zone is the server's by default")
                try await browser.type("Board, 3 December", into: "#request-title")
                try await browser.type("/papers", into: "#request-path")
                try await browser.execute(
                    """
                    document.querySelector('#request-group').value = 'Audit and risk committee of the board of trustees';
                    document.querySelector('#request-date').value = '2030-12-03';
                    document.querySelector('#request-time').value = '10:00';
                    document.querySelector('#request-zone').value = 'Europe/Atlantis';
                    """
                )
                try await browser.click("#create-request")
                let refused = try await eventually {
                    try await browser.execute("return document.querySelector('#request-zone-error') !== null") as? Bool == true
                }
                #expect(refused, "the error is not shown beside the time zone")
                let kept = try await browser.execute(
                    """
                    return ['#request-title', '#request-path', '#request-group', '#request-date', '#request-time', '#request-zone']
                        .map(s => document.querySelector(s).value).concat([document.querySelector('#request-zone').getAttribute('aria-invalid')])
                    """
                )
                #expect(
                    kept as? [String] == [
                        "Board, 3 December", "/papers", "Audit and risk committee of the board of trustees", "2030-12-03", "10:00", "Europe/Atlantis",
                        "true",
                    ]
                )
                let message = try await browser.execute("return document.querySelector('#request-zone-error').textContent") as? String
                #expect(message == "The request was not created: the time zone must be a name such as Europe/Berlin or UTC.")
            }
        }
    }
}
