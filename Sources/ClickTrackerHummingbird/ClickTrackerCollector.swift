import ClickTracker
import Foundation
import Hummingbird

/// The collector routes: the tracking script and the beacon endpoint.
///
/// Mount them behind the same authentication as the tracked pages, so the beacon request
/// carries the member's sign-in: a token is accepted only from the member it was minted for.
public struct ClickTrackerCollector<Context: ClickTrackerRequestContext>: Sendable {
    /// Largest beacon body accepted.
    public static var maximumBeaconSize: Int { 16 * 1024 }

    let tracker: ClickTracker

    /// Creates the collector.
    /// - Parameter tracker: The shared ClickTracker core.
    public init(tracker: ClickTracker) {
        self.tracker = tracker
    }

    /// Adds `GET <collectorPath>/script.js` and `POST <collectorPath>/beacon` to a router.
    public func addRoutes(to router: some RouterMethods<Context>) {
        let prefix = tracker.snippet.collectorPath
        router.get(RouterPath("\(prefix)/script.js")) { request, _ in
            Self.script(request)
        }
        router.post(RouterPath("\(prefix)/beacon")) { request, context in
            try await self.beacon(request, context: context)
        }
    }

    static func script(_ request: Request) -> Response {
        let etag = "\"\(TrackingScript.version)\""
        let versioned = request.uri.queryParameters["v"].map { String($0) } == TrackingScript.version
        var headers: HTTPFields = [
            .contentType: "text/javascript; charset=utf-8",
            .cacheControl: versioned ? "public, max-age=31536000, immutable" : "public, max-age=300",
            .eTag: etag,
        ]
        if request.headers[.ifNoneMatch] == etag {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: TrackingScript.source)))
    }

    func beacon(_ request: Request, context: Context) async throws -> Response {
        guard let member = context.clickTrackerMember else {
            return Self.problem(.unauthorized, "sign in first: views are recorded for signed-in members only")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumBeaconSize)
        } catch {
            return Self.problem(.contentTooLarge, "the beacon body is larger than \(Self.maximumBeaconSize) bytes")
        }
        let form = FormFields(String(buffer: body))
        guard form["event"] == "view" else {
            return Self.problem(.badRequest, "unknown or missing event; expected event=view")
        }
        guard let token = form["token"], !token.isEmpty else {
            return Self.problem(.badRequest, "the beacon carries no token")
        }
        do {
            _ = try await tracker.acceptView(token: token, member: member)
            return Response(status: .noContent)
        } catch {
            switch error {
            case .invalidToken(.malformed):
                return Self.problem(.badRequest, "\(error)")
            case .invalidToken:
                return Self.problem(.forbidden, "\(error)")
            case .notAccepted:
                context.logger.error("View not recorded: \(error)")
                var response = Self.problem(.serviceUnavailable, "the view could not be recorded now; try again")
                response.headers[.retryAfter] = "5"
                return response
            }
        }
    }

    static func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: message + "\n"))
        )
    }
}
