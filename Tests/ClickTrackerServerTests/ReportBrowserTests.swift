import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTracker

/// The reading request page and a document's tracking page in a real headless Chromium.
@Suite("Report pages in a real browser (headless Chromium)", .serialized)
struct ReportBrowserTests {
    let browserTests = BrowserTests()

    /// The demo's site (`Examples/BoardPack/site`): /papers holds four pages.
    static let demoSite = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/BoardPack/site").path

    @Test("The demo: a group of 4, alice read the budget paper, bob opened the minutes; the chair's request over /papers shows it in one grid")
    func demoRequest() async throws {
        var fixture = try await ServerFixture()
        defer { fixture.remove() }
        let site = fixture.directory.file("demo-site")
        try FileManager.default.copyItem(atPath: Self.demoSite, toPath: site)
        fixture.configuration.siteDirectory = site
        fixture.configuration.ignoredPaths = []
        fixture.configuration.initialSections = []
        fixture.configuration.idleSeconds = 3
        fixture.configuration.heartbeatSeconds = 1
        // The budget paper's 332 words need 2 s at 10,000 words a minute: a quick read in a test.
        let policy = ReadingPolicy(wordsPerMinute: 10_000, maximumSeconds: 60, minimumSeconds: 2)
        try await fixture.track("/papers", policy: policy)
        let store = try await fixture.store()
        try await store.setGroup(
            "board",
            members: [Person(member: "alice", displayName: "Alice Archer"), Person(member: "bob"), Person(member: "chair"), Person(member: "dave")]
        )
        try await store.close()
        let fixed = fixture
        try await fixed.withServer { port in
            let base = "http://127.0.0.1:\(port)"
            try await browserTests.withBrowser { browser in
                // alice reads the budget paper through to its end; bob opens the minutes and leaves.
                try await browserTests.signIn(browser, port: port, as: "alice")
                try await browser.navigate(to: base + "/papers/budget-2027.html")
                try await browserTests.waitForLoad(browser)
                for step in 1...5 {
                    try await browser.execute("window.scrollTo(0, document.documentElement.scrollHeight * \(step) / 5)")
                    try await Task.sleep(for: .seconds(1))
                }
                try await browser.navigate(to: "about:blank")
                let read = try await eventually(seconds: 15) {
                    try await fixed.readers("/papers").first { $0.member == "alice" }?.verdict(policy).counts == true
                }
                #expect(read, "alice's read was not recorded as read")
                try await browserTests.signIn(browser, port: port, as: "bob")
                try await browser.navigate(to: base + "/papers/minutes-2026-11.html")
                try await browserTests.waitForLoad(browser)
                let opened = try await eventually { try await fixed.readers("/papers").contains { $0.member == "bob" } }
                #expect(opened, "bob's view was not recorded")
                try await browser.navigate(to: "about:blank")

                // The chair asks the board to read /papers by a deadline, with the form.
                try await browserTests.signIn(browser, port: port, as: "chair")
                try await browser.navigate(to: base + "/_clicktracker/requests")
                try await browserTests.waitForLoad(browser)
                try await browser.type("Board, 3 December", into: "#request-title")
                try await browser.type("/papers", into: "#request-path")
                try await browser.execute(
                    """
                    document.querySelector('#request-group').value = 'board';
                    document.querySelector('#request-date').value = '2030-12-03';
                    document.querySelector('#request-time').value = '10:00';
                    """
                )
                try await browser.click("#create-request")
                let shown = try await eventually { try await browser.currentURL().contains("/_clicktracker/requests/") }
                #expect(shown, "creating the request did not open its page")
                try await browserTests.waitForLoad(browser)

                func text(_ selector: String) async throws -> String? {
                    try await browser.execute("return document.querySelector('\(selector)').textContent") as? String
                }
                #expect(try await text("#summary strong") == "0 of 4 have read all 4 documents")
                #expect(try await text("#summary .opened") == "2 have opened some but not read all 4 documents")
                #expect(try await text("#summary .not-opened") == "2 have opened none")
                #expect(
                    try await text("#reads-chart title")
                        == "2 of 4 expected readers had opened any and 0 had read all 4 documents by now; the dashed line is the deadline."
                )
                let columns = try await browser.execute(
                    "return [...document.querySelectorAll('#request-grid thead th.document')].map(th => th.getAttribute('title'))"
                )
                #expect(
                    columns as? [String] == ["/papers", "/papers/budget-2027.html", "/papers/minutes-2026-11.html", "/papers/repairs-strategy.html"]
                )
                let grid = try await browser.execute(
                    """
                    return [...document.querySelectorAll('#request-grid tbody tr')].map(tr =>
                        [tr.querySelector('th').textContent.trim(), tr.querySelector('.stage').textContent, tr.querySelector('.documents').textContent,
                         ...[...tr.querySelectorAll('td.cell')].map(td => td.firstChild.textContent)].join('|'))
                    """
                )
                #expect(
                    grid as? [String] == [
                        "chair|not opened|0 of 4|not opened|not opened|not opened|not opened",
                        "dave|not opened|0 of 4|not opened|not opened|not opened|not opened",
                        "bob|opened|0 of 4|not opened|not opened|opened|not opened",
                        "Alice Archer alice|opened|1 of 4|not opened|read|not opened|not opened",
                    ]
                )
                // Each cell's evidence shows on focus (keyboard) as on hover.
                let evidence =
                    try await browser.execute(
                        """
                        const cell = document.querySelectorAll('#request-grid tbody tr')[3].querySelectorAll('td.cell')[1];
                        cell.focus();
                        const evidence = cell.querySelector('.evidence');
                        return document.activeElement === cell && evidence.getBoundingClientRect().width > 100 ? evidence.textContent : null;
                        """
                    ) as? String
                #expect(
                    evidence?.hasPrefix("Budget 2027: read on ") == true && evidence?.contains("scrolled 100%, end reached") == true,
                    "\(evidence ?? "")"
                )
                let lines = try await browser.execute("return document.querySelectorAll('#reads-chart polyline').length") as? Int
                #expect(lines == 2)

                // The CSV, downloaded by its link, holds the same cells.
                let downloads = try TemporaryDirectory("downloads")
                defer { downloads.remove() }
                try await browser.allowDownloads(into: downloads.path)
                try await browser.click("#request-csv")
                let id = try await browser.currentURL().components(separatedBy: "?")[0].components(separatedBy: "/").last ?? ""
                let file = downloads.file("request-\(id).csv")
                let saved = try await eventually { FileManager.default.fileExists(atPath: file) }
                #expect(saved, "the CSV was not downloaded")
                let rows = try PeopleCSV.records((try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
                #expect(rows.count == 1 + 16)
                #expect(
                    rows.dropFirst().filter { $0[7] != "not opened" }.map { "\($0[0]) \($0[5]) \($0[7])" } == [
                        "bob /papers/minutes-2026-11.html opened", "alice /papers/budget-2027.html read",
                    ]
                )
            }
        }
    }

    @Test("A document's page renders its readers with a chart of reads over time, and its readers CSV downloads")
    func documentPage() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer { port in
            for reader in ["alice", "bob"] {
                let session = HTTPSession(port: port)
                try await session.signIn(reader)
                try await session.view("/papers/budget.html")
                await session.close()
            }
            try await browserTests.withBrowser { browser in
                try await browserTests.signIn(browser, port: port, as: "chair")
                try await browser.navigate(to: "http://127.0.0.1:\(port)/_clicktracker/tracking?path=%2Fpapers%2Fbudget.html")
                try await browserTests.waitForLoad(browser)
                #expect(try await browser.execute("return document.querySelectorAll('#readers tbody tr').length") as? Int == 2)
                #expect(
                    try await browser.execute("return document.querySelector('#reads-chart title').textContent") as? String
                        == "2 of 2 people had opened it by now."
                )
                let chartHeight = try await browser.execute("return document.querySelector('#reads-chart polyline').getBBox().height") as? Double
                #expect((chartHeight ?? 0) > 90, "the chart's line climbs \(chartHeight ?? 0)")
                let downloads = try TemporaryDirectory("downloads")
                defer { downloads.remove() }
                try await browser.allowDownloads(into: downloads.path)
                try await browser.click("#readers-csv")
                let file = downloads.file("readers.csv")
                let saved = try await eventually { FileManager.default.fileExists(atPath: file) }
                #expect(saved, "the CSV was not downloaded")
                let rows = try PeopleCSV.records((try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
                #expect(
                    rows.first?.first == "user"
                        && rows.dropFirst().map { "\($0[0]) \($0[2])" } == ["alice /papers/budget.html", "bob /papers/budget.html"]
                )
            }
        }
    }
}
