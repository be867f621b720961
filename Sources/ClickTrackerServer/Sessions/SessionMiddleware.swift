import Foundation
import Hummingbird

/// Reads the session cookie and puts the signed-in user into the context.
///
/// A cookie that is forged or expired, that names a user who no longer exists or whose password
/// has changed since, or whose session was ended by signing out, is ignored.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext

    let signer: SessionSigner
    let users: UserDirectory
    let endedSessions: EndedSessions

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let cookie = request.cookieValue(SessionSigner.cookieName),
            let session = signer.session(fromCookie: cookie),
            let user = try users.user(named: session.userName),
            session.passwordTag == signer.passwordTag(for: user),
            await !endedSessions.isEnded(session)
        {
            context.user = user
            context.session = session
        }
        return try await next(request, context)
    }
}
