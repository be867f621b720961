import ClickTracker
import Foundation
import HTTPTypes
import Hummingbird

/// Injects the tracking script into tracked HTML pages of a Hummingbird app.
///
/// A response gets the script when all of these hold: the request is a `GET` by a signed-in
/// member (``ClickTrackerRequestContext/clickTrackerMember``, or the response's
/// `ClickTracker-User` header when ``trustsResponseMember``); the page or a section above it is
/// marked; neither the request (``ClickTrackerRequestState/ignore()``) nor the response
/// (`ClickTracker-Ignore` header) opted out; the response is a `200` `text/html` body, unencoded
/// or gzip (decompressed on the way). The `ClickTracker-*` response headers are always removed.
/// A page's `Content-Security-Policy` gets a nonce for the script and room for its beacon. The
/// token carries the document's version, worked out from the body as it streams (or taken from
/// a `ClickTracker-Version` header), so the response is sent without a `Content-Length`.
public struct ClickTrackerMiddleware<Context: ClickTrackerRequestContext>: RouterMiddleware {
    let tracker: ClickTracker
    /// Whether a `ClickTracker-User` response header names the reader (for a trusted upstream).
    public let trustsResponseMember: Bool

    /// Creates the middleware.
    /// - Parameters:
    ///   - tracker: The shared ClickTracker core.
    ///   - trustsResponseMember: Take the reader from a `ClickTracker-User` response header when
    ///     the context has none (set only when every response comes from code you trust).
    public init(tracker: ClickTracker, trustsResponseMember: Bool = false) {
        self.tracker = tracker
        self.trustsResponseMember = trustsResponseMember
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        let hints = ResponseHints(removingFrom: &response.headers)
        guard request.method == .get,
            response.status == .ok,
            !hints.ignore,
            !context.clickTracker.isIgnored,
            let member = context.clickTrackerMember ?? (trustsResponseMember ? hints.member : nil),
            let encoding = Self.injectableEncoding(response.headers),
            let path = try? SectionPath(urlPath: request.uri.path)
        else {
            return response
        }
        let section: TrackedSection
        do {
            guard let tracked = try await tracker.trackingSection(for: path) else { return response }
            section = tracked
        } catch {
            context.logger.error("Cannot read the tracked sections; page served untracked: \(error)")
            return response
        }
        let document = DocumentReference(key: hints.documentKey, path: path.value, title: hints.title)
        var nonce: String?
        if response.headers[.contentSecurityPolicy] != nil || response.headers[.contentSecurityPolicyReportOnly] != nil {
            // The host goes into the policy: one that is not a plain host[:port] could add directives.
            guard let host = request.head.authority, HTTPAuthority.isValid(host) else { return response }
            let value = Base64URL.encode((0..<16).map { _ in UInt8.random(in: 0...255) })
            let policy = ContentSecurityPolicy(
                nonce: value,
                host: host,
                scriptPath: tracker.snippet.collectorPath + "/script.js",
                beaconPath: tracker.snippet.beaconURL
            )
            for name in [HTTPField.Name.contentSecurityPolicy, .contentSecurityPolicyReportOnly] {
                let values = response.headers[values: name]
                response.headers[values: name] = values.map(policy.allowingTracking)
            }
            nonce = value
        }
        let (tracker, siteVersion, acknowledgement) = (tracker, hints.version, section.policy.requiresAcknowledgement)
        let injector = HTMLInjector { [nonce] version, title in
            let version = siteVersion.map { DocumentVersion(id: $0, words: version.words) } ?? version
            // The page's own <title>, unless the site named the document with ClickTracker-Title.
            var document = document
            if document.title == nil { document.title = title }
            return tracker.snippetHTML(
                member: member,
                document: document,
                url: path.value,
                version: version,
                nonce: nonce,
                acknowledgement: acknowledgement
            )
        }
        return Self.inject(injector, into: response, gzipped: encoding == .gzip)
    }

    enum BodyEncoding {
        case identity
        case gzip
    }

    /// How an HTML body is encoded, if the script can be injected into it.
    static func injectableEncoding(_ headers: HTTPFields) -> BodyEncoding? {
        guard let contentType = headers[.contentType]?.lowercased(), contentType.hasPrefix("text/html") else {
            return nil
        }
        switch headers[.contentEncoding]?.trimmingCharacters(in: .whitespaces).lowercased() ?? "" {
        case "", "identity": return .identity
        case "gzip", "x-gzip": return .gzip
        default: return nil
        }
    }

    /// Wraps the body so the snippet streams in before `</body>` (decompressing a gzip body on
    /// the way), and fixes the framing headers: the length is not known until the end.
    static func inject(_ injector: HTMLInjector, into response: Response, gzipped: Bool = false) -> Response {
        var response = response
        let body = response.body
        response.body = ResponseBody { writer in
            let injecting = InjectingBodyWriter(parent: writer, injector: injector)
            if gzipped {
                try await body.write(GunzippingBodyWriter(parent: injecting))
            } else {
                try await body.write(injecting)
            }
        }
        response.headers[.contentLength] = nil
        if gzipped { response.headers[.contentEncoding] = nil }
        // Each render carries its own token: no cache may replay it.
        response.headers[.cacheControl] = "no-store"
        response.headers[.eTag] = nil
        response.headers[.lastModified] = nil
        return response
    }
}

/// What a response tells the tracker through its `ClickTracker-*` headers.
struct ResponseHints {
    var ignore = false
    var documentKey: String?
    var title: String?
    var member: String?
    var version: String?

    /// Reads the hints and removes the headers so they never reach the browser.
    init(removingFrom headers: inout HTTPFields) {
        ignore = headers[.clickTrackerIgnore] != nil
        documentKey = headers[.clickTrackerDocument].flatMap { (1...256).contains($0.utf8.count) ? $0 : nil }
        title = headers[.clickTrackerTitle].flatMap { ($0.removingPercentEncoding ?? $0).prefix(300) }.map(String.init)
        member = headers[.clickTrackerUser].flatMap { (1...256).contains($0.utf8.count) ? $0 : nil }
        version = headers[.clickTrackerVersion].flatMap { (1...64).contains($0.utf8.count) ? $0 : nil }
        headers[.clickTrackerVersion] = nil
        headers[.clickTrackerIgnore] = nil
        headers[.clickTrackerDocument] = nil
        headers[.clickTrackerTitle] = nil
        headers[.clickTrackerUser] = nil
    }
}
