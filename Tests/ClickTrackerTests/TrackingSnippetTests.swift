import Testing

@testable import ClickTracker

@Suite("Tracking snippet and script")
struct TrackingSnippetTests {
    @Test("The tag names the versioned script, the token and the beacon URL, escaped")
    func tag() {
        let snippet = TrackingSnippet(collectorPath: "/_ct")
        let html = snippet.html(token: "v1.a\"b.c", nonce: "n<1>")
        #expect(html.hasPrefix("<script src=\"/_ct/script.js?v=\(TrackingScript.version)\""))
        #expect(html.contains("data-token=\"v1.a&quot;b.c\""))
        #expect(html.contains("data-endpoint=\"/_ct/beacon\""))
        #expect(html.contains("nonce=\"n&lt;1&gt;\""))
        #expect(html.hasSuffix(" async></script>"))
    }

    @Test("The script waits for load and visibility and uses sendBeacon with a fetch fallback")
    func script() {
        let source = TrackingScript.source
        #expect(source.contains("window.addEventListener(\"load\""))
        #expect(source.contains("document.visibilityState !== \"visible\""))
        #expect(source.contains("navigator.sendBeacon"))
        #expect(source.contains("keepalive: true"))
        #expect(TrackingScript.version.count == 12)
    }
}
