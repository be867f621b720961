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
            try await admin.handle(request, context) { try await list(context: context, notice: DoneNotice.text(request)) }
        }
        router.post(RouterPath("\(prefix)/tokens")) { request, context in
            try await admin.handle(request, context) { try await change(request, context: context) }
        }
    }

    func list(
        context: ServerRequestContext,
        secret: (name: String, value: String)? = nil,
        notice: String? = nil,
        error: String? = nil
    ) async throws -> Response {
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
        if let notice { values["doneNotice"] = notice }
        if let error { values["error"] = error }
        return pages.page("tokens", values, context: context, status: error == nil ? .ok : .badRequest)
    }

    func change(_ request: Request, context: ServerRequestContext) async throws -> Response {
        guard let form = try await admin.verifiedForm(request, context) else { return admin.csrfRejected(context) }
        switch form["action"] {
        case "create":
            guard let name = APIToken.validate(name: form["name"] ?? "") else {
                return try await list(context: context, error: "Not made: a token's name must have 1 to 100 characters and no line breaks.")
            }
            let (secret, hash) = APIToken.generateSecret()
            let id = try await storage.addAPIToken(APIToken(name: name, hash: hash, createdAt: Date(), createdBy: context.user?.name ?? ""))
            try await admin.audit(context, "api token made", "\(id) \(name)")
            return try await list(context: context, secret: (name, secret))
        case "revoke":
            guard let id = form["id"].flatMap({ Int64($0) }) else { return admin.badRequest("No token was named.", context: context) }
            guard form["confirmed"] == "yes" else {
                let name = try await storage.apiTokens().first { $0.id == id }?.name ?? String(id)
                return admin.confirmation(
                    "Revoke the token “\(name)”?",
                    "Programs using it are refused from then on. A revoked token cannot be used again; make a new one instead.",
                    button: "Revoke the token",
                    action: "\(prefix)/tokens",
                    fields: [("action", "revoke"), ("id", String(id))],
                    cancel: "\(prefix)/tokens",
                    context: context
                )
            }
            guard try await storage.revokeAPIToken(id: id) else {
                return admin.message("Not changed", "There is no active API token with that number.", context: context, status: .notFound)
            }
            try await admin.audit(context, "api token revoked", String(id))
            return .redirect(to: DoneNotice.tokenRevoked.url("\(prefix)/tokens"), type: .found)
        default:
            return admin.badRequest("The action must be create or revoke.", context: context)
        }
    }
}
