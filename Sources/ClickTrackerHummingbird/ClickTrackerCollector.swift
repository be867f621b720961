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

    /// The script (see ``ScriptResponse``).
    static func script(_ request: Request) -> Response {
        ScriptResponse.make(for: request)
    }

    func beacon(_ request: Request, context: Context) async throws -> Response {
        guard let member = context.clickTrackerMember else {
            return Self.problem(.unauthorized, "sign in first: reads are recorded for signed-in members only")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumBeaconSize)
        } catch {
            return Self.problem(.contentTooLarge, "the beacon body is larger than \(Self.maximumBeaconSize) bytes")
        }
        let form = FormFields(String(buffer: body))
        guard let token = form["token"], !token.isEmpty else {
            return Self.problem(.badRequest, "the beacon carries no token")
        }
        let event = form["event"]
        if event == "next" { return await next(token: token, form: form, member: member) }
        guard let kind = event.flatMap(ViewEvent.Kind.init(rawValue:)) else {
            return Self.problem(.badRequest, "unknown or missing event; expected view, report, end, ack or next")
        }
        let attention: Attention?
        do {
            attention = try BeaconAttention.parse(form, required: kind == .report || kind == .end)
        } catch {
            return Self.problem(.badRequest, error.description)
        }
        let outcome: RecordOutcome
        do {
            outcome = try await tracker.accept(kind, token: token, attention: attention, member: member).outcome
        } catch {
            switch error {
            case .invalidToken(.malformed):
                return Self.problem(.badRequest, "\(error)")
            case .invalidToken:
                return Self.problem(.forbidden, "\(error)")
            case .acknowledgementNotAsked, .viewNotRecorded:
                return Self.problem(.conflict, "\(error)")
            case .notAccepted:
                context.logger.error("Beacon not recorded: \(error)")
                var response = Self.problem(.serviceUnavailable, "the beacon could not be recorded now; try again")
                response.headers[.retryAfter] = "5"
                return response
            }
        }
        switch (kind, outcome) {
        case (_, .unknownRender):
            return Self.problem(.conflict, "no view of this page was recorded; reload the page")
        case (_, .finishedRender):
            return Self.problem(.conflict, "this page already sent its final report")
        case (.acknowledgement, .unchanged):
            return Self.message("Your confirmation of this version was already recorded.")
        case (.acknowledgement, _):
            return Self.message("Thank you: your confirmation is recorded.")
        default:
            return Response(status: .noContent)
        }
    }

    /// A token for the new path of a single-page app: `200` with the token, `204` when the
    /// path is not tracked.
    private func next(token: String, form: FormFields, member: String) async -> Response {
        guard let path = form["path"].flatMap({ try? SectionPath(urlPath: $0) }) else {
            return Self.problem(.badRequest, "the next view needs the page's new path")
        }
        do {
            guard let next = try await tracker.nextToken(after: token, path: path, member: member) else {
                return Response(status: .noContent)
            }
            return Self.message(next)
        } catch {
            switch error {
            case .invalidToken(.malformed): return Self.problem(.badRequest, "\(error)")
            case .invalidToken: return Self.problem(.forbidden, "\(error)")
            case .acknowledgementNotAsked, .viewNotRecorded: return Self.problem(.conflict, "\(error)")
            case .notAccepted:
                var response = Self.problem(.serviceUnavailable, "the next view cannot be started now; try again")
                response.headers[.retryAfter] = "5"
                return response
            }
        }
    }

    static func message(_ text: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    static func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: message + "\n"))
        )
    }
}
