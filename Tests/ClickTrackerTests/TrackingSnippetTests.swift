import Testing

@testable import ClickTracker

@Suite("Tracking snippet and script")
struct TrackingSnippetTests {
    @Test("The snippet is an end marker and the tag naming the versioned script, the token and the beacon URL, escaped")
    func tag() {
        let snippet = TrackingSnippet(collectorPath: "/_ct")
        let html = snippet.html(token: "v1.a\"b.c", nonce: "n<1>")
        #expect(html.hasPrefix("<div data-clicktracker-end></div><script src=\"/_ct/script.js?v=\(TrackingScript.version)\""))
        #expect(html.contains("data-token=\"v1.a&quot;b.c\""))
        #expect(html.contains("data-endpoint=\"/_ct/beacon\""))
        #expect(html.contains("nonce=\"n&lt;1&gt;\""))
        #expect(!html.contains("data-idle") && !html.contains("data-beat") && !html.contains("<button"))
        #expect(html.hasSuffix(" async></script>"))
    }

    @Test("Idle window and heartbeat are passed to the script only when they differ from its defaults")
    func timing() {
        let html = TrackingSnippet(collectorPath: "/_ct", idleSeconds: 5, heartbeatSeconds: 2).html(token: "t", acknowledgement: true)
        #expect(html.contains(" data-idle=\"5\" data-beat=\"2\""))
        #expect(
            html.contains("<button type=\"button\" class=\"clicktracker-ack\" hidden>I have read this document</button><span role=\"status\"></span>")
        )
        #expect(html.contains("<style>.clicktracker-ack{"))
    }

    @Test("The script's version changes with its source")
    func version() {
        #expect(TrackingScript.version.count == 12)
        #expect(TrackingScript.version.allSatisfy { $0.isHexDigit })
    }
}
