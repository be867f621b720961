import ClickTrackerHummingbird
import Testing

@testable import ClickTrackerServer

@Suite("Proxy header rules")
struct ProxyHeadersTests {
    @Test("gzip is offered upstream only if the browser accepts it")
    func acceptEncoding() {
        #expect(ProxyHeaders.acceptsGzip("gzip, deflate, br"))
        #expect(ProxyHeaders.acceptsGzip("br;q=1.0, gzip;q=0.5"))
        #expect(ProxyHeaders.acceptsGzip("*"))
        #expect(!ProxyHeaders.acceptsGzip("gzip;q=0, br"))
        #expect(!ProxyHeaders.acceptsGzip("*;q=0"))
        #expect(!ProxyHeaders.acceptsGzip("identity"))
    }

    @Test("Only plain host[:port] values are copied into other headers and policies")
    func authority() {
        for good in ["intranet", "intranet.example:8443", "127.0.0.1:8080", "[::1]:8080", "[2001:db8::1]"] {
            #expect(HTTPAuthority.isValid(good), "\(good)")
        }
        for bad in ["", "x\";for=10.0.0.1", "a b", "host:port", "host:123456", "[::1", "[::1]x", "évil.example", "x;script-src *"] {
            #expect(!HTTPAuthority.isValid(bad), "\(bad)")
        }
    }

    @Test("Dot segments are found, plain or percent-encoded; ClickTracker's cookies are taken out")
    func pathsAndCookies() {
        #expect(ProxyHeaders.hasDotSegment("/a/../b"))
        #expect(ProxyHeaders.hasDotSegment("/a/%2E%2e/b"))
        #expect(ProxyHeaders.hasDotSegment("/a/./b"))
        #expect(!ProxyHeaders.hasDotSegment("/a/..b/c.html"))
        #expect(ProxyHeaders.withoutOwnCookies("a=1; ct_session=x; ct_reader=y; b=2") == "a=1; b=2")
        #expect(ProxyHeaders.withoutOwnCookies("ct_session=x") == nil)
        #expect(ProxyHeaders.normalised("X-Forwarded_User") == "x-forwarded-user")
    }
}
