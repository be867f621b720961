import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Testing

/// The whole flow in a real headless Chromium: the script runs in the browser, after the page
/// has rendered, and the access log shows the read.
@Suite("Real browser (headless Chromium)", .serialized)
struct BrowserTests {
    /// One browser session that does not wait for `load`, so that a page can be left before it renders.
    func withBrowser(_ body: (WebDriver) async throws -> Void) async throws {
        let browser = try await WebDriver.start(pageLoadStrategy: "none")
        do {
            try await body(browser)
            await browser.quit()
        } catch {
            await browser.quit()
            throw error
        }
    }

    func waitForLoad(_ browser: WebDriver) async throws {
        let loaded = try await eventually(seconds: 15) {
            try await browser.execute("return document.readyState") as? String == "complete"
        }
        #expect(loaded, "the page did not finish loading")
    }

    func signIn(_ browser: WebDriver, port: Int, as name: String) async throws {
        try await browser.navigate(to: "http://127.0.0.1:\(port)/_clicktracker/login")
        try await waitForLoad(browser)
        try await browser.type(name, into: "#username")
        try await browser.type(ServerFixture.passwords[name]!, into: "#password")
        try await browser.click("#sign-in")
        let left = try await eventually { !(try await browser.currentURL()).contains("/login") }
        #expect(left, "sign-in did not leave the login page")
        try await waitForLoad(browser)
    }

    @Test("A signed-in read shows in the access log with count 1; ignored pages, anonymous visits and pages left before rendering record nothing")
    func wholeFlow() async throws {
        let silent = try SilentServer()
        defer { silent.close() }
        let fixture = try await ServerFixture(extraFiles: [
            "papers/slow.html": ServerFixture.document(
                title: "Slow paper",
                body: "<p>Still loading…</p><img src=\"http://127.0.0.1:\(silent.port)/never.png\" alt=\"\">"
            )
        ])
        defer { fixture.remove() }
        try await fixture.withServer { port in
            try await withBrowser { browser in
                let base = "http://127.0.0.1:\(port)"

                // Anonymous: sent to the sign-in page, nothing recorded.
                try await browser.navigate(to: base + "/papers/budget.html")
                try await waitForLoad(browser)
                #expect(try await browser.currentURL().contains("/_clicktracker/login"))

                try await signIn(browser, port: port, as: "alice")

                // A page left before it finished loading never reports a view.
                try await browser.navigate(to: base + "/papers/slow.html")
                let rendering = try await eventually { (try await browser.pageSource()).contains("Still loading") }
                #expect(rendering)
                try await Task.sleep(for: .milliseconds(1500))
                #expect(try await browser.execute("return document.readyState") as? String != "complete")
                try await browser.navigate(to: "about:blank")
                try await waitForLoad(browser)

                // An ignored page inside the tracked section gets no script.
                try await browser.navigate(to: base + "/papers/ignored.html")
                try await waitForLoad(browser)
                #expect(!(try await browser.pageSource()).contains("data-token"))

                // The real read.
                try await browser.navigate(to: base + "/papers/budget.html")
                try await waitForLoad(browser)
                #expect((try await browser.pageSource()).contains("data-token"))
                let recorded = try await eventually { !(try await fixture.accessLog("/papers")).isEmpty }
                #expect(recorded, "the browser's view beacon was not recorded")
                try await Task.sleep(for: .milliseconds(1000))

                let log = try await fixture.accessLog("/papers")
                #expect(log.map(\.url) == ["/papers/budget.html"])
                #expect(log.first?.member == "alice")
                #expect(log.first?.count == 1)

                // The chair sees alice in the section's access log.
                try await signIn(browser, port: port, as: "chair")
                try await browser.navigate(to: base + "/_clicktracker/tracking?path=/papers")
                try await waitForLoad(browser)
                let report = try await browser.pageSource()
                #expect(report.contains("<td class=\"member\">alice</td>"))
                #expect(report.contains("Budget 2027 (/papers/budget.html)"))
                #expect(report.contains("<td class=\"count\">1</td>"))
                #expect(!report.contains("slow.html"))
                #expect(!report.contains("ignored.html"))
            }
        }
    }

    @Test("Through the proxy: a read of a tracked upstream page, and of one with a strict CSP, is recorded; an ignored upstream page is not")
    func throughProxy() async throws {
        try await ProxyTests.withProxy { port, _, fixture in
            try await withBrowser { browser in
                let base = "http://127.0.0.1:\(port)"
                // The upstream's own sign-in (its cookie passes through the proxy untouched).
                try await browser.navigate(to: base + "/login-as?u=alice&next=/papers/ignored.html")
                try await waitForLoad(browser)
                #expect(!(try await browser.pageSource()).contains("data-token"))

                try await browser.navigate(to: base + "/papers/doc.html")
                try await waitForLoad(browser)
                let read = try await eventually { try await fixture.accessLog("/papers").map(\.url) == ["/papers/doc.html"] }
                #expect(read, "the read through the proxy was not recorded")

                try await browser.navigate(to: base + "/papers/csp.html")
                try await waitForLoad(browser)
                #expect((try await browser.pageSource()).contains("nonce="))
                let strict = try await eventually { try await fixture.accessLog("/papers").count == 2 }
                #expect(strict, "the page with a strict Content-Security-Policy did not report its view")
                try await Task.sleep(for: .milliseconds(500))
                let log = try await fixture.accessLog("/papers")
                #expect(Set(log.map(\.url)) == ["/papers/doc.html", "/papers/csp.html"])
                #expect(log.allSatisfy { $0.member == "alice" && $0.count == 1 })
            }
        }
    }
}
