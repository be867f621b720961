import ClickTracker
import ClickTrackerHummingbird
import Foundation
import Hummingbird

/// Sign-in and sign-out.
///
/// The sign-in form carries a CSRF token bound to a short-lived `ct_login` cookie, so another
/// site cannot sign a visitor in as someone else; sign-out is a CSRF-protected `POST`.
struct AuthController: Sendable {
    let users: UserDirectory
    let signer: SessionSigner
    let pages: PageRenderer
    let secureCookies: Bool

    var prefix: String { pages.collectorPath }

    func addRoutes(to router: Router<ServerRequestContext>) {
        router.get(RouterPath("\(prefix)/login")) { request, context in
            context.clickTracker.ignore()
            return loginForm(next: Self.localPath(request.uri.queryParameters["next"].map(String.init)), context: context)
        }
        router.post(RouterPath("\(prefix)/login")) { request, context in
            try await signIn(request, context: context)
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
        guard let nonce = request.cookies[SessionSigner.loginCookieName]?.value,
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
        guard let user = try await users.authenticate(name: username, password: form["password"] ?? "") else {
            return loginForm(next: next, username: username, error: "Unknown user name or wrong password.", status: .unauthorized, context: context)
        }
        let session = signer.newSession(for: user.name)
        var response = Response.redirect(to: next, type: .found)
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

    func signOut(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let form = try await Self.form(request)
        guard let nonce = context.sessionNonce, signer.isValidCSRFToken(form["csrf"], for: nonce) else {
            throw HTTPError(.forbidden, message: "Missing or invalid CSRF token.")
        }
        var response = Response.redirect(to: "\(prefix)/login", type: .found)
        response.setCookie(
            Cookie(name: SessionSigner.cookieName, value: "", maxAge: 0, path: "/", secure: secureCookies, httpOnly: true, sameSite: .lax)
        )
        return response
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
