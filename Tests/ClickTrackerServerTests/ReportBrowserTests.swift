import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTracker

/// The reading request page and a document's tracking page in a real headless Chromium.
@Suite("Report pages in a real browser (headless Chromium)", .serialized)
struct ReportBrowserTests {
    let browserTests = BrowserTests()

    @Test("The request page renders with its chart, and its CSV downloads")
    func requestPage() async throws {
        let fixture = try await ServerFixture()
        defer { fixture.remove() }
        let store = try await fixture.store()
        try await store.setTracked(try SectionPath("/papers"), true)
        try await store.setGroup("board", members: [Person(member: "alice", displayName: "Alice Archer"), Person(member: "bob")])
        let id = try await store.addReadingRequest(
            ReadingRequest(
                title: "Board, 3 December",
                path: try SectionPath("/papers"),
                group: "board",
                members: [],
                deadline: Date().addingTimeInterval(86_400),
                timeZone: "Europe/Berlin",
                createdAt: Date().addingTimeInterval(-86_400),
                createdBy: "chair"
            )
        )
        try await store.close()
        try await fixture.withServer { port in
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            try await alice.view("/papers/budget.html")
            await alice.close()

            try await browserTests.withBrowser { browser in
                try await browserTests.signIn(browser, port: port, as: "chair")
                // The overview lists the open request.
                try await browser.navigate(to: "http://127.0.0.1:\(port)/_clicktracker/")
                try await browserTests.waitForLoad(browser)
                #expect(try await browser.execute("return document.querySelector('#open-requests a').textContent") as? String == "Board, 3 December")
                try await browser.click("#open-requests a")
                let opened = try await eventually { try await browser.currentURL().hasSuffix("/_clicktracker/requests/\(id)") }
                #expect(opened)
                try await browserTests.waitForLoad(browser)
                #expect(
                    try await browser.execute("return document.querySelector('#summary strong').textContent") as? String
                        == "0 of 2 had read it by the deadline"
                )
                let chartWidth = try await browser.execute("return document.querySelector('#reads-chart polyline').getBBox().width") as? Double
                #expect((chartWidth ?? 0) > 100, "the chart's line is \(chartWidth ?? 0) wide")
                #expect(try await browser.execute("return document.querySelectorAll('#request-readers tbody tr').length") as? Int == 2)
                // The page's policy allows no script requests; the CSV is downloaded as a user would, by its link.
                let downloads = try TemporaryDirectory("downloads")
                defer { downloads.remove() }
                try await browser.allowDownloads(into: downloads.path)
                try await browser.click("#request-csv")
                let file = downloads.file("request-\(id).csv")
                let saved = try await eventually { FileManager.default.fileExists(atPath: file) }
                #expect(saved, "the CSV was not downloaded")
                let csv = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
                #expect(csv.hasPrefix("user,name,email,status_at_deadline"))
                #expect(csv.contains("alice,Alice Archer,,opened,no,opened,0,0,"))
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
