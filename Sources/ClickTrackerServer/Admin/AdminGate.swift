import ClickTracker
import ClickTrackerHummingbird
import Foundation
import Hummingbird

/// What every admin page shares: only administrators get in, forms must carry a valid CSRF
/// token, and an unreachable database is answered with a clear page instead of an error.
struct AdminGate: Sendable {
    let signer: SessionSigner
    let pages: PageRenderer
    let queue: IngestQueue
    let storage: any ClickStorage

    /// Runs `body` for admins; others are sent to sign in (anonymous) or refused (members).
    func handle(_ request: Request, _ context: ServerRequestContext, _ body: () async throws -> Response) async throws -> Response {
        context.clickTracker.ignore()
        guard let user = context.user else {
            let next = SiteController.queryValue(request.uri.path + (request.uri.query.map { "?" + $0 } ?? ""))
            return .redirect(to: "\(pages.collectorPath)/login?next=\(next)", type: .found)
        }
        guard user.isAdmin else {
            return message("Not allowed", "Only administrators may see tracking, reports and settings.", context: context, status: .forbidden)
        }
        return try await handleAny(request, context, body)
    }

    /// Runs `body` for any signed-in user (it checks what they may see), answering an
    /// unreachable database with a clear page.
    func handleAny(_ request: Request, _ context: ServerRequestContext, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as StorageUnavailable {
            let spooled = await queue.spooled
            return message(
                "Database unreachable",
                "The database is unreachable (\(error.reason)), so reports and settings kept there cannot be shown or changed "
                    + "right now. Reads are still accepted: \(spooled) are waiting in the local spool and will be written "
                    + "as soon as the database answers again.",
                context: context,
                status: .serviceUnavailable
            )
        }
    }

    /// Notes in the audit log that the signed-in user looked at a report.
    /// - Parameters:
    ///   - action: The report and how it was read, e.g. `readers csv`.
    ///   - subject: What it was about: a section, a request, a member.
    func audit(_ context: ServerRequestContext, _ action: String, _ subject: String) async throws {
        try await storage.recordAudit(AuditEntry(at: Date(), actor: context.user?.name ?? "", action: action, subject: subject))
    }

    /// The report format a download asks for (`?format=csv` or `json`); `nil` for the page.
    /// Any other format is a bad request.
    static func downloadFormat(_ request: Request) throws -> ReportFormat? {
        guard let asked = request.uri.queryParameters["format"] else { return nil }
        guard let format = ReportFormat(rawValue: String(asked)), format != .table else {
            throw HTTPError(.badRequest, message: "The format must be csv or json.")
        }
        return format
    }

    /// The submitted form (at most `limit` bytes), or `nil` if its CSRF token is missing or invalid.
    func verifiedForm(_ request: Request, _ context: ServerRequestContext, limit: Int = 16 * 1024) async throws -> FormFields? {
        let form = try await AuthController.form(request, limit: limit)
        guard let nonce = context.sessionNonce, signer.isValidCSRFToken(form["csrf"], for: nonce) else { return nil }
        return form
    }

    /// The answer to a form without a valid CSRF token: nothing was changed.
    func csrfRejected(_ context: ServerRequestContext) -> Response {
        message(
            "Not changed",
            "The form's security token is missing or invalid. Reload the page and try again.",
            context: context,
            status: .forbidden
        )
    }

    func badRequest(_ text: String, context: ServerRequestContext) -> Response {
        message("Bad request", text, context: context, status: .badRequest)
    }

    /// Asks before a change that cannot be undone: the page's button posts `fields` again with
    /// `confirmed=yes`; Cancel goes back to `cancel`.
    func confirmation(
        _ heading: String,
        _ text: String,
        button: String,
        action: String,
        fields: [(String, String)],
        cancel: String,
        context: ServerRequestContext
    ) -> Response {
        let values: [String: Any] = [
            "heading": heading, "text": text, "button": button, "action": action, "cancelURL": cancel,
            "fields": fields.map { ["name": $0.0, "value": $0.1] },
        ]
        return pages.page("confirm", values, context: context)
    }

    func message(_ heading: String, _ text: String, context: ServerRequestContext, status: HTTPResponse.Status) -> Response {
        pages.page("message", ["heading": heading, "text": text], context: context, status: status)
    }
}
