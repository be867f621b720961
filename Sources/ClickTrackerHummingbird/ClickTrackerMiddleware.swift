import ClickTracker
import Foundation
import Hummingbird

/// Injects the tracking script into tracked HTML pages of a Hummingbird app.
///
/// A response gets the script when all of these hold: the request is a `GET` by a signed-in
/// member (``ClickTrackerRequestContext/clickTrackerMember``); the page or a section above it is
/// marked; neither the request (``ClickTrackerRequestState/ignore()``) nor the response
/// (`ClickTracker-Ignore` header) opted out; the response is a `200` with an unencoded
/// `text/html` body. The `ClickTracker-*` response headers are always removed.
public struct ClickTrackerMiddleware<Context: ClickTrackerRequestContext>: RouterMiddleware {
    let tracker: ClickTracker

    /// Creates the middleware.
    /// - Parameter tracker: The shared ClickTracker core.
    public init(tracker: ClickTracker) {
        self.tracker = tracker
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        let hints = ResponseHints(removingFrom: &response.headers)
        guard request.method == .get,
            response.status == .ok,
            !hints.ignore,
            !context.clickTracker.isIgnored,
            let member = context.clickTrackerMember,
            Self.isUnencodedHTML(response.headers),
            let path = try? SectionPath(urlPath: request.uri.path)
        else {
            return response
        }
        do {
            guard try await tracker.trackingSection(for: path) != nil else { return response }
        } catch {
            context.logger.error("Cannot read the tracked sections; page served untracked: \(error)")
            return response
        }
        let document = DocumentReference(key: hints.documentKey, path: path.value, title: hints.title)
        let snippet = tracker.snippetHTML(member: member, document: document, url: path.value)
        return Self.inject(snippet, into: response)
    }

    static func isUnencodedHTML(_ headers: HTTPFields) -> Bool {
        guard let contentType = headers[.contentType]?.lowercased(), contentType.hasPrefix("text/html") else {
            return false
        }
        let encoding = headers[.contentEncoding]?.trimmingCharacters(in: .whitespaces).lowercased() ?? "identity"
        return encoding == "identity" || encoding.isEmpty
    }

    /// Wraps the body so the snippet streams in before `</body>`, and fixes the framing headers.
    static func inject(_ snippet: String, into response: Response) -> Response {
        var response = response
        let injector = HTMLInjector(snippet: snippet)
        let body = response.body
        let originalLength = body.contentLength ?? response.headers[.contentLength].flatMap { Int($0) }
        let newLength = originalLength.map { $0 + injector.snippet.readableBytes }
        response.body = ResponseBody(contentLength: newLength) { writer in
            try await body.write(InjectingBodyWriter(parent: writer, injector: injector))
        }
        response.headers[.contentLength] = newLength.map(String.init)
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

    /// Reads the hints and removes the headers so they never reach the browser.
    init(removingFrom headers: inout HTTPFields) {
        ignore = headers[.clickTrackerIgnore] != nil
        documentKey = headers[.clickTrackerDocument].flatMap { (1...256).contains($0.utf8.count) ? $0 : nil }
        title = headers[.clickTrackerTitle].flatMap { ($0.removingPercentEncoding ?? $0).prefix(300) }.map(String.init)
        headers[.clickTrackerIgnore] = nil
        headers[.clickTrackerDocument] = nil
        headers[.clickTrackerTitle] = nil
    }
}
