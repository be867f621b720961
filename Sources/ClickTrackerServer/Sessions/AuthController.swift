import ClickTracker
import ClickTrackerHummingbird
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Sign-in and sign-out.
///
/// The sign-in form carries a CSRF token bound to a short-lived `ct_login` cookie, so another
/// site cannot sign a visitor in as someone else; sign-out is a CSRF-protected `POST` that ends
/// the session on every instance. Repeated wrong passwords are held back (``SignInThrottle``)
/// and reported in the audit log.
struct AuthController: Sendable {
    let users: UserDirectory
    let signer: SessionSigner
    let pages: PageRenderer
    let secureCookies: Bool
    let endedSessions: EndedSessions
    let throttle: SignInThrottle
    /// Where held-back sign-ins are reported.
    let audit: any ClickStorage
    /// Proxies whose `X-Forwarded-For` names the client.
    let trustedProxies: Set<String>
    let logger: Logger

    var prefix: String { pages.collectorPath }

    func addRoutes(to router: Router<ServerRequestContext>) {
        router.get(RouterPath("\(prefix)/login")) { request, context in
            context.clickTracker.ignore()
            return loginForm(next: Self.localPath(request.uri.queryParameters["next"].map(String.init)), context: context)
        }
        router.post(RouterPath("\(prefix)/login")) { request, context in
            try await signIn(request, context: context)
        }
        router.get(RouterPath("\(prefix)/logout")) { _, context in
            context.clickTracker.ignore()
            return signOutForm(context: context)
        }
        router.post(RouterPath("\(prefix)/logout")) { request, context in
            try await signOut(request, context: context)
        }
    }

    func loginForm(
        next: String,
        username: String = "",
        error: String? = nil,
        status: HTTPResponse.Status = .ok,
        context: ServerRequestContext
    ) -> Response {
        let nonce = ViewToken.newRenderID()
        var values: [String: Any] = ["loginCSRF": signer.csrfToken(for: "login:" + nonce), "next": next, "username": username]
        if let error { values["error"] = error }
        var response = pages.page("login", values, context: context, status: status)
        response.setCookie(
            Cookie(
                name: SessionSigner.loginCookieName,
                value: nonce,
                maxAge: 3600,
                path: prefix,
                secure: secureCookies,
                httpOnly: true,
                sameSite: .lax
            )
        )
        return response
    }

    func signIn(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let form = try await Self.form(request)
        let next = Self.localPath(form["next"])
        let username = form["username"] ?? ""
        guard let nonce = request.cookieValue(SessionSigner.loginCookieName),
            signer.isValidCSRFToken(form["csrf"], for: "login:" + nonce)
        else {
            return loginForm(
                next: next,
                username: username,
                error: "The sign-in form expired. Please try again.",
                status: .forbidden,
                context: context
            )
        }
        let address = clientAddress(request, context: context)
        if let wait = throttle.wait(account: username, address: address) {
            return heldBack(wait, next: next, username: username, context: context)
        }
        guard let user = try await users.authenticate(name: username, password: form["password"] ?? "") else {
            let held = throttle.failed(account: username, address: address)
            for entry in held {
                let subject = "\(entry.key): \(entry.failures) failed sign-ins in a row; held back for \(Self.seconds(entry.wait))"
                do {
                    try await audit.recordAudit(AuditEntry(at: Date(), actor: "address \(address)", action: "sign-in held back", subject: subject))
                } catch {
                    logger.warning("Cannot write to the audit log that sign-ins are held back (\(subject)): \(error)")
                }
            }
            if let wait = held.map(\.wait).max() {
                return heldBack(wait, next: next, username: username, context: context)
            }
            return loginForm(next: next, username: username, error: "Unknown user name or wrong password.", status: .unauthorized, context: context)
        }
        throttle.succeeded(account: username)
        let session = signer.newSession(for: user)
        // An administrator with nowhere particular to go lands on the control panel.
        var response = Response.redirect(to: user.isAdmin && next == "/" ? "\(prefix)/" : next, type: .found)
        response.setCookie(
            Cookie(
                name: SessionSigner.cookieName,
                value: signer.cookieValue(for: session),
                maxAge: Int(SessionSigner.lifetime),
                path: "/",
                secure: secureCookies,
                httpOnly: true,
                sameSite: .lax
            )
        )
        response.setCookie(
            Cookie(name: SessionSigner.loginCookieName, value: "", maxAge: 0, path: prefix, secure: secureCookies, httpOnly: true, sameSite: .lax)
        )
        return response
    }

    /// A link to sign out: a page with the button (signing out is a `POST`), or the sign-in form
    /// when nobody is signed in.
    func signOutForm(context: ServerRequestContext) -> Response {
        guard let session = context.session else { return Response.redirect(to: "\(prefix)/login", type: .found) }
        return pages.page("logout", ["signedInAs": session.userName], context: context)
    }

    func signOut(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let form = try await Self.form(request)
        guard let session = context.session, signer.isValidCSRFToken(form["csrf"], for: session.nonce) else {
            throw HTTPError(.forbidden, message: "Missing or invalid CSRF token.")
        }
        do {
            try await endedSessions.end(session)
        } catch {
            // Ended here already; other instances accept a copy of the cookie until it expires.
            logger.error("Signing out \(session.userName): the database could not record it, so only this instance knows: \(error)")
        }
        var response = Response.redirect(to: "\(prefix)/login", type: .found)
        response.setCookie(
            Cookie(name: SessionSigner.cookieName, value: "", maxAge: 0, path: "/", secure: secureCookies, httpOnly: true, sameSite: .lax)
        )
        return response
    }

    /// The sign-in form again, saying how long to wait (429 with `Retry-After`).
    private func heldBack(_ wait: Duration, next: String, username: String, context: ServerRequestContext) -> Response {
        let text =
            "Too many failed sign-ins for this account or from this network. For your security, wait \(Self.seconds(wait)) before trying again; each further wrong password doubles the wait. If you have forgotten your password, ask an administrator to set a new one."
        var response = loginForm(next: next, username: username, error: text, status: .tooManyRequests, context: context)
        response.headers[.retryAfter] = String(Self.wholeSeconds(wait))
        return response
    }

    /// The address a sign-in came from: the client named by a trusted proxy, else the peer.
    private func clientAddress(_ request: Request, context: ServerRequestContext) -> String {
        let peer = context.remoteAddress?.ipAddress ?? "unknown"
        guard trustedProxies.contains(peer), let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!] else { return peer }
        return forwarded.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? peer
    }

    private static func wholeSeconds(_ duration: Duration) -> Int64 {
        max(1, duration.components.seconds + (duration.components.attoseconds > 0 ? 1 : 0))
    }

    /// "1 second", "8 seconds", "4 minutes".
    private static func seconds(_ duration: Duration) -> String {
        let seconds = wholeSeconds(duration)
        if seconds < 120 { return seconds == 1 ? "1 second" : "\(seconds) seconds" }
        return "\((seconds + 59) / 60) minutes"
    }

    /// The fields of a form body of at most 16 KiB.
    static func form(_ request: Request, limit: Int = 16 * 1024) async throws -> FormFields {
        do {
            return FormFields(String(buffer: try await request.body.collect(upTo: limit)))
        } catch {
            throw HTTPError(.contentTooLarge, message: "The form is too large.")
        }
    }

    /// `path` if it is a local absolute path (no scheme, host or `//`), else `/`.
    static func localPath(_ path: String?) -> String {
        guard let path, path.hasPrefix("/"), !path.hasPrefix("//"), !path.contains("\\"),
            !path.unicodeScalars.contains(where: { $0.value < 0x20 })
        else { return "/" }
        return path
    }
}
