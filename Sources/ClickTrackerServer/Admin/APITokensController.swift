import ClickTracker
import ClickTrackerHummingbird
import Foundation
import Hummingbird

/// The API tokens page: administrators make tokens for the JSON API (the secret is shown once,
/// only its hash is kept) and revoke them.
struct APITokensController: Sendable {
    let storage: any ClickStorage
    let admin: AdminGate
    let pages: PageRenderer

    var prefix: String { pages.collectorPath }

    func addRoutes(to router: Router<ServerRequestContext>) {
        router.get(RouterPath("\(prefix)/tokens")) { request, context in
            try await admin.handle(request, context) { try await list(context: context) }
        }
        router.post(RouterPath("\(prefix)/tokens")) { request, context in
            try await admin.handle(request, context) { try await change(request, context: context) }
        }
    }

    func list(context: ServerRequestContext, secret: (name: String, value: String)? = nil) async throws -> Response {
        let tokens = try await storage.apiTokens().map { token -> [String: Any] in
            var row: [String: Any] = [
                "id": token.id, "name": token.name, "createdBy": token.createdBy,
                "createdAt": TrackingController.format(token.createdAt),
            ]
            if let revoked = token.revokedAt { row["revokedAt"] = TrackingController.format(revoked) }
            return row
        }
        var values: [String: Any] = [
            "tokens": tokens, "openAPIURL": "\(prefix)/api/openapi.json", "apiURL": "\(prefix)/api/v1",
        ]
        if let secret { values["secret"] = ["name": secret.name, "value": secret.value] }
        return pages.page("tokens", values, context: context)
    }

    func change(_ request: Request, context: ServerRequestContext) async throws -> Response {
        guard let form = try await admin.verifiedForm(request, context) else { return admin.csrfRejected(context) }
        switch form["action"] {
        case "create":
            guard let name = APIToken.validate(name: form["name"] ?? "") else {
                return admin.badRequest("A token's name must have 1 to 100 characters and no control characters.", context: context)
            }
            let (secret, hash) = APIToken.generateSecret()
            let id = try await storage.addAPIToken(APIToken(name: name, hash: hash, createdAt: Date(), createdBy: context.user?.name ?? ""))
            try await admin.audit(context, "api token made", "\(id) \(name)")
            return try await list(context: context, secret: (name, secret))
        case "revoke":
            guard let id = form["id"].flatMap({ Int64($0) }) else { return admin.badRequest("No token was named.", context: context) }
            guard try await storage.revokeAPIToken(id: id) else {
                return admin.message("Not changed", "There is no active API token with that number.", context: context, status: .notFound)
            }
            try await admin.audit(context, "api token revoked", String(id))
            return .redirect(to: "\(prefix)/tokens", type: .found)
        default:
            return admin.badRequest("The action must be create or revoke.", context: context)
        }
    }
}
