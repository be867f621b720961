import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

/// Evidence of reading, measured by the script in a real headless Chromium, with short
/// thresholds (idle window 3 s, heartbeat 1 s, 2 s of activity once the end is reached).
@Suite("Reading evidence in a real browser (headless Chromium)", .serialized)
struct AttentionBrowserTests {
    static let policy = ReadingPolicy(wordsPerMinute: 250, maximumSeconds: 600, minimumSeconds: 2)
    let browserTests = BrowserTests()

    /// A long paper (722 words, many screens) and a single-page app.
    static func fixture(policy: ReadingPolicy = Self.policy, idleSeconds: Int = 3) async throws -> ServerFixture {
        let paragraph =
            "<p style=\"margin-bottom: 300px\">" + Array(repeating: "Budget figures for the next year.", count: 4).joined(separator: " ") + "</p>"
        var fixture = try await ServerFixture(extraFiles: [
            "papers/long.html": ServerFixture.document(title: "Long paper", body: String(repeating: paragraph, count: 30)),
            "papers/app.html": ServerFixture.document(title: "App", body: "<p>Chapter one.</p>"),
        ])
        fixture.configuration.idleSeconds = idleSeconds
        fixture.configuration.heartbeatSeconds = 1
        fixture.configuration.initialSections = []
        try await fixture.track("/papers", policy: policy)
        return fixture
    }

    /// Reads as the reader would: scrolls through the page a step a second for `seconds`, ending at the bottom.
    func scrollThrough(_ browser: WebDriver, seconds: Int) async throws {
        for step in 1...seconds {
            try await browser.execute("window.scrollTo(0, document.documentElement.scrollHeight * \(step) / \(seconds))")
            try await Task.sleep(for: .seconds(1))
        }
    }

    func reader(_ fixture: ServerFixture, _ member: String, _ path: String) async throws -> ReaderSummary? {
        try await fixture.readers("/papers").first { $0.member == member && $0.document.path == path }
    }

    @Test("A reader who scrolls to the end and stays active is 'read'; one who opens and leaves at once is 'opened'")
    func readAndOpened() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            try await browserTests.withBrowser { browser in
                let base = "http://127.0.0.1:\(port)"
                try await browserTests.signIn(browser, port: port, as: "alice")
                let opened = ContinuousClock.now
                try await browser.navigate(to: base + "/papers/long.html")
                try await browserTests.waitForLoad(browser)
                try await scrollThrough(browser, seconds: 4)
                try await browser.navigate(to: "about:blank")
                // On a busy machine the visit takes longer than the 4 s of scrolling, never less.
                let visit = opened.duration(to: .now)
                let visitMilliseconds = Int(visit.components.seconds * 1000 + visit.components.attoseconds / 1_000_000_000_000_000)
                let read = try await eventually(seconds: 10) {
                    try await reader(fixture, "alice", "/papers/long.html")?.verdict(Self.policy).level == .read
                }
                #expect(read, "the read was not judged 'read'")
                let evidence = try #require(try await reader(fixture, "alice", "/papers/long.html")?.versions.first)
                #expect(evidence.reachedEnd && evidence.maximumScroll == 100)
                #expect(
                    (2_000...visitMilliseconds).contains(evidence.activeMilliseconds),
                    "active \(evidence.activeMilliseconds) of \(visitMilliseconds) ms"
                )
                #expect(evidence.automated, "navigator.webdriver is set in a WebDriver session")
                // 30 paragraphs of 24 words, and the title's two.
                #expect(evidence.words == 30 * 24 + 2)

                try await browserTests.signIn(browser, port: port, as: "bob")
                try await browser.navigate(to: base + "/papers/long.html")
                try await browserTests.waitForLoad(browser)
                let viewed = try await eventually { try await reader(fixture, "bob", "/papers/long.html") != nil }
                #expect(viewed)
                try await browser.navigate(to: "about:blank")
                try await Task.sleep(for: .seconds(2))
                let bob = try #require(try await reader(fixture, "bob", "/papers/long.html"))
                #expect(bob.verdict(Self.policy).level == .opened)
                #expect(!bob.versions[0].reachedEnd)
                #expect(bob.versions[0].activeMilliseconds < 4_000)

                // The chair's report shows both verdicts with their evidence.
                try await browserTests.signIn(browser, port: port, as: "chair")
                try await browser.navigate(to: base + "/_clicktracker/tracking?path=/papers&readers-columns=all")
                try await browserTests.waitForLoad(browser)
                let report = try await browser.pageSource()
                #expect(
                    report.contains(
                        "<td class=\"member\">alice</td><td class=\"document\"><a href=\"/papers/long.html\">Long paper (/papers/long.html)</a></td><td class=\"verdict\" data-level=\"read\"><span class=\"badge read\">read</span></td>"
                    )
                )
                #expect(
                    report.contains(
                        "<td class=\"member\">bob</td><td class=\"document\"><a href=\"/papers/long.html\">Long paper (/papers/long.html)</a></td><td class=\"verdict\" data-level=\"opened\"><span class=\"badge opened\">opened</span></td>"
                    )
                )
                #expect(report.contains("<td class=\"automated\">automated</td>"))
            }
        }
    }

    @Test("A hidden tab accrues no active time")
    func hiddenTab() async throws {
        // A long idle window, so only visibility stops the clock.
        let fixture = try await Self.fixture(idleSeconds: 60)
        defer { fixture.remove() }
        try await fixture.withServer { port in
            try await browserTests.withBrowser { browser in
                try await browserTests.signIn(browser, port: port, as: "alice")
                let paper = try await browser.windowHandle()
                let opened = Date()
                try await browser.navigate(to: "http://127.0.0.1:\(port)/papers/long.html")
                try await browserTests.waitForLoad(browser)
                let viewed = try await eventually { try await reader(fixture, "alice", "/papers/long.html") != nil }
                #expect(viewed)
                try await browser.execute("window.scrollBy(0, 50)")
                try await Task.sleep(for: .seconds(1))
                // Surely hidden only from the moment the new tab is open until the paper's tab is
                // asked back: on a busy machine opening and switching tabs take seconds themselves.
                try await browser.openTab()
                let hiding = Date()
                try await Task.sleep(for: .seconds(6))
                let hidden = Date().timeIntervalSince(hiding)
                try await browser.switchToWindow(paper)
                #expect(try await browser.execute("return document.visibilityState") as? String == "visible")
                try await Task.sleep(for: .seconds(2))
                try await browser.navigate(to: "about:blank")
                let elapsed = Date().timeIntervalSince(opened)
                try await Task.sleep(for: .seconds(2))
                let evidence = try #require(try await reader(fixture, "alice", "/papers/long.html")?.versions.first)
                #expect(elapsed > 8 && hidden >= 6)
                // Active while visible — from the render until the tab was hidden, and the 2 s after it
                // came back — and none of the 6 s or more hidden (the bound follows the time measured
                // here, so a slow machine does not fail it).
                let visible = elapsed - hidden
                #expect(
                    evidence.activeMilliseconds >= 1_000 && Double(evidence.activeMilliseconds) <= (visible + 0.5) * 1000,
                    "active \(evidence.activeMilliseconds) ms; \(visible) s visible, \(hidden) s hidden"
                )
            }
        }
    }

    @Test("A visible tab nobody uses stops accruing after the idle window")
    func idleTab() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            try await browserTests.withBrowser { browser in
                try await browserTests.signIn(browser, port: port, as: "alice")
                try await browser.navigate(to: "http://127.0.0.1:\(port)/papers/long.html")
                try await browserTests.waitForLoad(browser)
                try await Task.sleep(for: .seconds(3))
                try await browser.execute("window.scrollBy(0, 50)")
                try await Task.sleep(for: .seconds(8))
                try await browser.navigate(to: "about:blank")
                try await Task.sleep(for: .seconds(2))
                let evidence = try #require(try await reader(fixture, "alice", "/papers/long.html")?.versions.first)
                // Nothing before the first input; after the one scroll, the 3 s idle window (and a tick) of the 8 s.
                #expect(evidence.activeMilliseconds <= 4_000, "active \(evidence.activeMilliseconds) ms")
                #expect(evidence.activeMilliseconds >= 2_000, "active \(evidence.activeMilliseconds) ms")
            }
        }
    }

    @Test("A single-page app that changes the path with the History API starts a new view")
    func singlePageApp() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            try await browserTests.withBrowser { browser in
                try await browserTests.signIn(browser, port: port, as: "alice")
                try await browser.navigate(to: "http://127.0.0.1:\(port)/papers/app.html")
                try await browserTests.waitForLoad(browser)
                let first = try await eventually { try await reader(fixture, "alice", "/papers/app.html") != nil }
                #expect(first)
                try await browser.execute("history.pushState({}, '', '/papers/app/chapter-2')")
                let second = try await eventually { try await reader(fixture, "alice", "/papers/app/chapter-2") != nil }
                #expect(second, "the History API navigation did not start a new view")
                // Leaving for an untracked path starts nothing.
                try await browser.execute("history.pushState({}, '', '/public/elsewhere')")
                try await Task.sleep(for: .seconds(2))
                #expect(try await fixture.readers("/").map(\.document.path).sorted() == ["/papers/app.html", "/papers/app/chapter-2"])
                #expect(try await fixture.accessLog("/papers").map(\.count) == [1, 1])
            }
        }
    }

    @Test("The acknowledgement button records once; after an edit the old read shows as an earlier version")
    func acknowledgementAndVersions() async throws {
        let fixture = try await Self.fixture(
            policy: ReadingPolicy(wordsPerMinute: 250, maximumSeconds: 600, minimumSeconds: 2, requiresAcknowledgement: true)
        )
        defer { fixture.remove() }
        try await fixture.withServer { port in
            try await browserTests.withBrowser { browser in
                try await browserTests.signIn(browser, port: port, as: "alice")
                try await browser.navigate(to: "http://127.0.0.1:\(port)/papers/budget.html")
                try await browserTests.waitForLoad(browser)
                let viewed = try await eventually { try await reader(fixture, "alice", "/papers/budget.html") != nil }
                #expect(viewed)
                let button = "[data-clicktracker-end] button"
                #expect(try await browser.execute("return document.querySelector('\(button)').hidden") as? Bool == false)
                // Prominent: larger than the text around it and at least a 44 px touch target.
                let size =
                    try await browser.execute(
                        "const b = document.querySelector('\(button)').getBoundingClientRect(); return [b.height, parseFloat(getComputedStyle(document.querySelector('\(button)')).fontSize)]"
                    ) as? [Double]
                #expect((size?.first ?? 0) >= 44 && (size?.last ?? 0) >= 18, "\(size ?? [])")
                try await browser.click(button)
                let status = "return document.querySelector('[data-clicktracker-end] [role=status]').textContent"
                let thanked = try await eventually { try await browser.execute(status) as? String == "Thank you: your confirmation is recorded." }
                #expect(thanked)
                // The confirmation is on a line of its own, below the button.
                let apart = try await browser.execute(
                    """
                    const b = document.querySelector('\(button)').getBoundingClientRect();
                    return document.querySelector('[data-clicktracker-end] [role=status]').getBoundingClientRect().top >= b.bottom
                    """
                )
                #expect(apart as? Bool == true)
                #expect(try await browser.execute("return document.querySelector('\(button)').disabled") as? Bool == true)
                try await browser.execute("document.querySelector('\(button)').disabled = false")
                try await browser.click(button)
                let again = try await eventually {
                    try await browser.execute(status) as? String == "Your confirmation of this version was already recorded."
                }
                #expect(again)
                let alice = try #require(try await reader(fixture, "alice", "/papers/budget.html"))
                #expect(alice.verdict(Self.policy).level == .acknowledged)
                #expect(alice.versions.count == 1 && alice.versions[0].acknowledgedAt != nil)
                try await browser.navigate(to: "about:blank")
            }

            // The paper is edited; bob reads the new version.
            _ = try fixture.directory.write(
                "site/papers/budget.html",
                ServerFixture.document(title: "Budget 2027", body: "<p>The budget, revised.</p>")
            )
            let bob = HTTPSession(port: port)
            try await bob.signIn("bob")
            try await bob.view("/papers/budget.html")
            await bob.close()

            let readers = try await fixture.readers("/papers")
            let alice = try #require(readers.first { $0.member == "alice" })
            let verdict = alice.verdict(Self.policy)
            #expect(verdict.level == .acknowledged && verdict.isEarlierVersion && verdict.label.hasPrefix("acknowledged an earlier version"))
            #expect(!alice.verdict(ReadingPolicy(requiresRereading: true)).counts)
            let current = try #require(readers.first { $0.member == "bob" })
            #expect(!current.verdict(Self.policy).isEarlierVersion)
            #expect(alice.currentVersion == current.versions.first?.version)

            let chair = HTTPSession(port: port)
            try await chair.signIn("chair")
            let report = try await chair.get("/_clicktracker/tracking?path=/papers&readers-columns=all").body
            #expect(report.contains("data-level=\"acknowledged\"><span class=\"badge acknowledged\">acknowledged an earlier version"))
            #expect(report.contains("\">earlier, seen "))
            await chair.close()
        }
    }
}
