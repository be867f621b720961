import HTTPTypes
import Hummingbird

/// Sends `X-Content-Type-Options: nosniff` on every response ClickTracker makes itself (pages,
/// reports, the script, the site's files, errors), so a browser never runs a download or a
/// user's value as something other than its declared type. In front of an upstream it sits
/// behind the proxy, so the upstream's own responses pass unchanged.
struct NoSniffMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }
}

extension HTTPField.Name {
    /// `X-Content-Type-Options`.
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
}
