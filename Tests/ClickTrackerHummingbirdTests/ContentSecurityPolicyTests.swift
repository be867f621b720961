import Testing

@testable import ClickTrackerHummingbird

@Suite("Content-Security-Policy for the injected script")
struct ContentSecurityPolicyTests {
    let policy = ContentSecurityPolicy(nonce: "N0", host: "intranet:8080", scriptPath: "/_ct/script.js", beaconPath: "/_ct/beacon")

    @Test("default-src only: script-src and connect-src are added from it, with the nonce and the beacon")
    func defaultOnly() {
        #expect(
            policy.allowingTracking("default-src 'none'; img-src 'self'")
                == "default-src 'none'; img-src 'self'; script-src 'nonce-N0'; connect-src intranet:8080/_ct/beacon"
        )
    }

    @Test("An existing script-src gets the nonce; 'self' already covers the beacon; nothing else changes")
    func scriptSrc() {
        #expect(
            policy.allowingTracking("script-src 'self' https://cdn.example 'strict-dynamic'; connect-src 'self'; frame-ancestors 'none'")
                == "script-src 'self' https://cdn.example 'strict-dynamic' 'nonce-N0'; connect-src 'self'; frame-ancestors 'none'"
        )
    }

    @Test("'unsafe-inline' without nonces keeps working: the script's URL is added instead of a nonce")
    func unsafeInline() {
        #expect(
            policy.allowingTracking("script-src 'unsafe-inline'; connect-src https://api.example")
                == "script-src 'unsafe-inline' intranet:8080/_ct/script.js; connect-src https://api.example intranet:8080/_ct/beacon"
        )
    }

    @Test("script-src-elem is changed too, each policy of a list separately; no scripts restricted, nothing added")
    func lists() {
        #expect(
            policy.allowingTracking("script-src-elem 'none', img-src *")
                == "script-src-elem 'nonce-N0', img-src *"
        )
    }
}
