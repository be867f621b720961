import Foundation
import Hummingbird

/// Reads the session cookie and puts the signed-in user into the context.
///
/// A cookie that is forged, expired, or names a user who no longer exists is ignored.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext

    let signer: SessionSigner
    let users: UserDirectory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let cookie = request.cookies[SessionSigner.cookieName],
            let session = signer.session(fromCookie: cookie.value),
            let user = try await users.user(named: session.userName)
        {
            context.user = user
            context.sessionNonce = session.nonce
        }
        return try await next(request, context)
    }
}
