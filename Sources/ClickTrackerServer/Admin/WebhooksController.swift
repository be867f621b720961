import ClickTracker
import ClickTrackerHummingbird
import Foundation
import Hummingbird

/// The Webhooks page: administrators register endpoints (a URL and the events it is sent; the
/// signing secret is shown once), delete them, and read the delivery log, with "send again".
struct WebhooksController: Sendable {
    let storage: any ClickStorage
    let key: SecretKey
    let admin: AdminGate
    let pages: PageRenderer

    var prefix: String { pages.collectorPath }

    /// Deliveries per page of the log.
    static let deliveriesPerPage = 50

    func addRoutes(to router: Router<ServerRequestContext>) {
        router.get(RouterPath("\(prefix)/webhooks")) { request, context in
            try await admin.handle(request, context) {
                let page = max(1, request.uri.queryParameters["page"].flatMap { Int(String($0)) } ?? 1)
                return try await list(context: context, page: page, notice: DoneNotice.text(request))
            }
        }
        router.post(RouterPath("\(prefix)/webhooks")) { request, context in
            try await admin.handle(request, context) { try await change(request, context: context) }
        }
    }

    func list(
        context: ServerRequestContext,
        page: Int = 1,
        created: (url: String, secret: String)? = nil,
        notice: String? = nil,
        error: String? = nil,
        input: [String: Any] = [:]
    ) async throws -> Response {
        let endpoints = try await storage.webhooks().map { endpoint -> [String: Any] in
            [
                "id": endpoint.id, "url": endpoint.url, "createdBy": endpoint.createdBy,
                "createdAt": TrackingController.format(endpoint.createdAt),
                "events": WebhookEventType.allCases.filter(endpoint.events.contains).map(\.rawValue).joined(separator: ", "),
            ]
        }
        let log = try await storage.webhookDeliveries(limit: Self.deliveriesPerPage, offset: (page - 1) * Self.deliveriesPerPage)
        let pageCount = max(1, (log.total + Self.deliveriesPerPage - 1) / Self.deliveriesPerPage)
        let now = Date()
        var values: [String: Any] = [
            "endpoints": endpoints,
            "events": WebhookEventType.allCases.map { event -> [String: Any] in
                let chosen = (input["events"] as? Set<String>)?.contains(event.rawValue) ?? true
                return ["name": event.rawValue, "summary": event.summary, "isChosen": chosen]
            },
            "deliveries": log.deliveries.map { delivery(row: $0, now: now) },
            "deliveryRange": log.total == 0 ? "" : "Page \(min(page, pageCount)) of \(pageCount) (\(log.total) messages)",
            "url": input["url"] as? String ?? "",
        ]
        if page > 1 { values["previousPage"] = "\(prefix)/webhooks?page=\(page - 1)#deliveries" }
        if page < pageCount { values["nextPage"] = "\(prefix)/webhooks?page=\(page + 1)#deliveries" }
        if let created { values["created"] = ["url": created.url, "secret": created.secret] }
        if let notice { values["doneNotice"] = notice }
        if let error { values["error"] = error }
        return pages.page("webhooks", values, context: context, status: error == nil ? .ok : .badRequest)
    }

    /// One delivery for the log: the event, where, its state in words, attempts, the last answer.
    private func delivery(row delivery: WebhookDelivery, now: Date) -> [String: Any] {
        let state: String
        switch delivery.state {
        case .delivered: state = "delivered \(TrackingController.format(delivery.deliveredAt ?? delivery.createdAt))"
        case .failed: state = "given up"
        case .pending where delivery.attempts == 0: state = "waiting to be sent"
        case .pending: state = "will be tried again \(TrackingController.format(max(delivery.nextAttemptAt, now)))"
        }
        var answer = delivery.lastError ?? delivery.lastStatus.map { "HTTP \($0)" } ?? ""
        if delivery.state == .delivered, let status = delivery.lastStatus { answer = "HTTP \(status)" }
        return [
            "id": delivery.id, "event": delivery.type.rawValue, "url": delivery.url, "messageID": delivery.messageID,
            "createdAt": TrackingController.format(delivery.createdAt), "state": state, "stateClass": delivery.state.rawValue,
            "attempts": delivery.attempts, "answer": answer, "canResend": delivery.state != .pending || delivery.attempts > 0,
        ]
    }

    func change(_ request: Request, context: ServerRequestContext) async throws -> Response {
        guard let form = try await admin.verifiedForm(request, context) else { return admin.csrfRejected(context) }
        switch form["action"] {
        case "create":
            // One checkbox per event, named `event-read.recorded` and so on.
            let names = WebhookEventType.allCases.map(\.rawValue).filter { form["event-\($0)"] != nil }
            do {
                let url = try WebhookEndpoint.validate(url: form["url"] ?? "")
                let events = try WebhookEndpoint.validate(events: names)
                let (id, secret) = try await Self.register(url: url, events: events, by: context.user?.name ?? "", storage: storage, key: key)
                try await admin.audit(context, "webhook added", "\(id) \(WebhookEndpoint.site(of: url))")
                return try await list(context: context, created: (url, secret.text))
            } catch let error as WebhookEndpoint.Invalid {
                return try await list(context: context, error: "Not added: \(error).", input: ["url": form["url"] ?? "", "events": Set(names)])
            }
        case "delete":
            guard let id = form["id"].flatMap({ Int64($0) }) else { return admin.badRequest("No endpoint was named.", context: context) }
            guard form["confirmed"] == "yes" else {
                let url = try await storage.webhooks().first { $0.id == id }?.url ?? String(id)
                return admin.confirmation(
                    "Delete the endpoint \(url)?",
                    "It is sent nothing more, and its messages leave the delivery log. Programs relying on it stop hearing from ClickTracker.",
                    button: "Delete the endpoint",
                    action: "\(prefix)/webhooks",
                    fields: [("action", "delete"), ("id", String(id))],
                    cancel: "\(prefix)/webhooks",
                    context: context
                )
            }
            guard try await storage.deleteWebhook(id: id) else {
                return admin.message("Not changed", "There is no endpoint with that number.", context: context, status: .notFound)
            }
            try await admin.audit(context, "webhook deleted", String(id))
            return .redirect(to: DoneNotice.webhookDeleted.url("\(prefix)/webhooks"), type: .found)
        case "resend":
            guard let id = form["id"].flatMap({ Int64($0) }) else { return admin.badRequest("No message was named.", context: context) }
            guard try await storage.resendWebhookDelivery(id: id, now: Date()) else {
                return admin.message(
                    "Not sent again",
                    "There is no such message, or it is being sent right now. Look at the delivery log again in a few seconds.",
                    context: context,
                    status: .conflict
                )
            }
            try await admin.audit(context, "webhook message sent again", String(id))
            return .redirect(to: DoneNotice.deliveryQueued.url("\(prefix)/webhooks#deliveries"), type: .found)
        default:
            return admin.badRequest("The action must be create, delete or resend.", context: context)
        }
    }

    /// Stores a new endpoint with a new secret, sealed with the server's key; returns its id and
    /// the secret, to be shown once.
    static func register(
        url: String,
        events: Set<WebhookEventType>,
        by actor: String,
        storage: any ClickStorage,
        key: SecretKey
    ) async throws -> (Int64, WebhookSecret) {
        let secret = WebhookSecret.generate()
        let endpoint = WebhookEndpoint(url: url, events: events, sealedSecret: try secret.sealed(with: key), createdAt: Date(), createdBy: actor)
        return (try await storage.addWebhook(endpoint), secret)
    }
}
