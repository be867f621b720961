import ClickTracker
import Foundation
import Hummingbird

/// The JSON API: the reports and reading requests for other programs, authenticated with API
/// tokens (`Authorization: Bearer ct_…`) that an administrator makes on the API tokens page.
/// The OpenAPI document describing it is served at `<prefix>/api/openapi.json`.
struct APIController: Sendable {
    let storage: any ClickStorage
    /// Seals the webhooks' secrets.
    let key: SecretKey
    let documents: RequestDocuments
    let prefix: String

    func addRoutes(to router: Router<ServerRequestContext>) {
        let base = "\(prefix)/api/v1"
        router.get(RouterPath("\(prefix)/api/openapi.json")) { _, context in
            context.clickTracker.ignore()
            return Response(
                status: .ok,
                headers: [.contentType: "application/json", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_json))
            )
        }
        router.get(RouterPath("\(base)/sections")) { request, context in
            try await authorized(request, context) { _ in try await sections() }
        }
        router.get(RouterPath("\(base)/access-log")) { request, context in
            try await authorized(request, context) { actor in try await report(request, actor: actor) { Reports.accessLog(storage, $0) } }
        }
        router.get(RouterPath("\(base)/readers")) { request, context in
            try await authorized(request, context) { actor in try await report(request, actor: actor) { try await Reports.readers(storage, $0) } }
        }
        router.get(RouterPath("\(base)/requests")) { request, context in
            try await authorized(request, context) { _ in try await requests() }
        }
        router.post(RouterPath("\(base)/requests")) { request, context in
            try await authorized(request, context) { actor in try await create(request, actor: actor) }
        }
        router.get(RouterPath("\(base)/requests/:id")) { request, context in
            try await authorized(request, context) { actor in try await status(context, actor: actor) }
        }
        router.delete(RouterPath("\(base)/requests/:id")) { request, context in
            try await authorized(request, context) { _ in try await delete(context) }
        }
        router.get(RouterPath("\(base)/webhooks")) { request, context in
            try await authorized(request, context) { _ in Self.json(["webhooks": try await storage.webhooks().map(Self.webhookObject)]) }
        }
        router.post(RouterPath("\(base)/webhooks")) { request, context in
            try await authorized(request, context) { actor in try await addWebhook(request, actor: actor) }
        }
        router.delete(RouterPath("\(base)/webhooks/:id")) { request, context in
            try await authorized(request, context) { actor in
                guard let id = context.parameters.get("id", as: Int64.self), try await storage.deleteWebhook(id: id) else {
                    return Self.error(.notFound, "There is no webhook endpoint with that id.")
                }
                try await audit(actor, "webhook deleted", String(id))
                return Response(status: .noContent)
            }
        }
        router.get(RouterPath("\(base)/webhooks/deliveries")) { request, context in
            try await authorized(request, context) { _ in
                let parameters = request.uri.queryParameters
                let limit = min(500, max(1, parameters["limit"].flatMap { Int(String($0)) } ?? 100))
                let offset = max(0, parameters["offset"].flatMap { Int(String($0)) } ?? 0)
                let page = try await storage.webhookDeliveries(limit: limit, offset: offset)
                return Self.json(["deliveries": page.deliveries.map(Self.deliveryObject), "total": page.total])
            }
        }
        router.post(RouterPath("\(base)/webhooks/deliveries/:id/resend")) { request, context in
            try await authorized(request, context) { actor in
                guard let id = context.parameters.get("id", as: Int64.self), try await storage.webhookDelivery(id: id) != nil else {
                    return Self.error(.notFound, "There is no webhook delivery with that id.")
                }
                guard try await storage.resendWebhookDelivery(id: id, now: Date()) else {
                    return Self.error(.conflict, "The message is being sent right now; try again in a few seconds.")
                }
                try await audit(actor, "webhook message sent again", String(id))
                guard let delivery = try await storage.webhookDelivery(id: id) else {
                    return Self.error(.notFound, "The message was deleted meanwhile (with its endpoint).")
                }
                return Self.json(Self.deliveryObject(delivery), status: .accepted)
            }
        }
    }

    /// Runs `body` with the actor (`token:`, the token's id and name) when the request carries a
    /// valid, unrevoked token; answers 401 otherwise, and 503 when the database is unreachable.
    private func authorized(
        _ request: Request,
        _ context: ServerRequestContext,
        _ body: (String) async throws -> Response
    ) async throws -> Response {
        context.clickTracker.ignore()
        do {
            guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
                return Self.error(.unauthorized, "Send an API token: Authorization: Bearer ct_….")
            }
            let secret = header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
            guard let token = try await storage.apiToken(hash: APIToken.hash(secret)), token.revokedAt == nil else {
                return Self.error(.unauthorized, "The API token is unknown or has been revoked.")
            }
            return try await body("token:\(token.id) \(token.name)")
        } catch let error as StorageUnavailable {
            return Self.error(.serviceUnavailable, "The database is unreachable (\(error.reason)); try again later.")
        }
    }

    private func audit(_ actor: String, _ action: String, _ subject: String) async throws {
        try await storage.recordAudit(AuditEntry(at: Date(), actor: actor, action: action, subject: subject))
    }

    private func sections() async throws -> Response {
        let sections = try await storage.trackedSections().map { section -> [String: Any] in
            let policy = section.policy
            return [
                "path": section.path.value, "words_per_minute": policy.wordsPerMinute, "maximum_seconds": policy.maximumSeconds,
                "minimum_seconds": policy.minimumSeconds, "requires_acknowledgement": policy.requiresAcknowledgement,
                "requires_rereading": policy.requiresRereading,
            ]
        }
        return Self.json(["sections": sections])
    }

    /// A report as JSON, from its query in the parameters: `section` (default `/`), `user`,
    /// `sort`, `order` (`asc`, `desc`), and the rows `offset` and `limit` (all when absent).
    private func report<Order: ReportOrder>(
        _ request: Request,
        actor: String,
        _ sheet: (ReportQuery<Order>) async throws -> ReportSheet
    ) async throws -> Response {
        let parameters = request.uri.queryParameters
        let query: ReportQuery<Order>
        let offset: Int
        let limit: Int?
        do {
            query = try Self.query(parameters)
            offset = try Self.number("offset", parameters, in: 0...Int(Int32.max)) ?? 0
            limit = try Self.number("limit", parameters, in: 1...100_000)
        } catch {
            return Self.error(.badRequest, error.description)
        }
        let report = try await sheet(query)
        try await audit(actor, "\(report.kind) api", query.member.map { "\(query.section.value) \($0)" } ?? query.section.value)
        return try await report.start(offset: offset, limit: limit).response(.json, download: nil)
    }

    private func requests() async throws -> Response {
        Self.json(["requests": try await storage.readingRequests().map(requestObject)])
    }

    /// The body of a new request: the deadline is the wall-clock time in `time_zone`.
    /// The body that registers a webhook endpoint.
    struct NewWebhook: Decodable {
        var url: String
        var events: [String]
    }

    private func addWebhook(_ request: Request, actor: String) async throws -> Response {
        let body: NewWebhook
        do {
            let buffer = try await request.body.collect(upTo: 64 * 1024)
            body = try JSONDecoder().decode(NewWebhook.self, from: Data(buffer.readableBytesView))
        } catch {
            return Self.error(.badRequest, "The body must be a JSON object with url and events (such as [\"read.recorded\"]).")
        }
        do {
            let url = try WebhookEndpoint.validate(url: body.url)
            let events = try WebhookEndpoint.validate(events: body.events)
            let (id, secret) = try await WebhooksController.register(url: url, events: events, by: actor, storage: storage, key: key)
            try await audit(actor, "webhook added", "\(id) \(WebhookEndpoint.site(of: url))")
            guard let stored = try await storage.webhooks().first(where: { $0.id == id }) else {
                return Self.error(.notFound, "The endpoint was deleted meanwhile.")
            }
            var object = Self.webhookObject(stored)
            object["secret"] = secret.text
            var response = Self.json(object, status: .created)
            response.headers[.location] = "\(prefix)/api/v1/webhooks"
            return response
        } catch let error as WebhookEndpoint.Invalid {
            return Self.error(.badRequest, "The endpoint was not added: \(error).")
        }
    }

    private static func webhookObject(_ endpoint: WebhookEndpoint) -> [String: Any] {
        [
            "id": endpoint.id, "url": endpoint.url, "events": WebhookEventType.allCases.filter(endpoint.events.contains).map(\.rawValue),
            "created_at": WebhookMessage.iso8601(endpoint.createdAt), "created_by": endpoint.createdBy,
        ]
    }

    private static func deliveryObject(_ delivery: WebhookDelivery) -> [String: Any] {
        var object: [String: Any] = [
            "id": delivery.id, "webhook_id": delivery.endpointID, "url": delivery.url, "message_id": delivery.messageID,
            "event": delivery.type.rawValue, "created_at": WebhookMessage.iso8601(delivery.createdAt), "state": delivery.state.rawValue,
            "attempts": delivery.attempts, "next_attempt_at": WebhookMessage.iso8601(delivery.nextAttemptAt),
        ]
        if let status = delivery.lastStatus { object["last_status"] = status }
        if let error = delivery.lastError { object["last_error"] = error }
        if let delivered = delivery.deliveredAt { object["delivered_at"] = WebhookMessage.iso8601(delivered) }
        return object
    }

    struct NewRequest: Decodable {
        var title: String
        var path: String
        var group: String?
        var members: [String]?
        /// The documents to read; when absent, those under `path`.
        var documents: [String]?
        var deadline: String
        var timeZone: String
        /// Hours before the deadline to send reminders; when absent, 48 and 2.
        var reminders: [Int]?

        enum CodingKeys: String, CodingKey {
            case title, path, group, members, documents, deadline, reminders
            case timeZone = "time_zone"
        }
    }

    private func create(_ request: Request, actor: String) async throws -> Response {
        let body: NewRequest
        do {
            let buffer = try await request.body.collect(upTo: 1024 * 1024)
            body = try JSONDecoder().decode(NewRequest.self, from: Data(buffer.readableBytesView))
        } catch {
            return Self.error(
                .badRequest,
                "The body must be a JSON object with title, path, deadline (2026-12-03T10:00) and time_zone, and a group or members."
            )
        }
        let parts = body.deadline.split(separator: "T", maxSplits: 1).map(String.init)
        let made = RequestsController.newRequest(
            title: body.title,
            path: body.path,
            group: body.group,
            members: body.members ?? [],
            date: parts.first ?? "",
            time: parts.count == 2 ? parts[1] : "",
            timeZone: body.timeZone,
            createdBy: actor
        )
        switch made {
        case .failure(let error):
            return Self.error(.badRequest, "The request was not created: \(error)")
        case .success(var new):
            switch RequestDocuments.parse((body.documents ?? []).joined(separator: "\n")) {
            case .failure(let error): return Self.error(.badRequest, "The request was not created: \(error)")
            case .success(let named): new.documents = body.documents == nil ? try await documents.under(new.path) : named
            }
            guard !new.documents.isEmpty else {
                return Self.error(
                    .badRequest,
                    "The request was not created: no documents were found under \(new.path.value); name them in documents."
                )
            }
            let hours = body.reminders ?? Reminder.defaultHours
            guard hours.count <= 10, hours.allSatisfy({ (1...720).contains($0) }) else {
                return Self.error(.badRequest, "The request was not created: reminders are whole hours before the deadline, 1 to 720, at most 10.")
            }
            new.id = try await storage.addReadingRequest(new)
            try await storage.setReminderSchedule(requestID: new.id, hours: Array(Set(hours)).sorted(by: >), at: Date(), by: actor)
            var response = Self.json(requestObject(new), status: .created)
            response.headers[.location] = "\(prefix)/api/v1/requests/\(new.id)"
            return response
        }
    }

    private func status(_ context: ServerRequestContext, actor: String) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self), let sheet = try await Reports.request(storage, id: id) else {
            return Self.error(.notFound, "There is no reading request with that id.")
        }
        try await audit(actor, "request api", String(id))
        return try await sheet.start().response(.json, download: nil)
    }

    private func delete(_ context: ServerRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self), try await storage.deleteReadingRequest(id: id) else {
            return Self.error(.notFound, "There is no reading request with that id.")
        }
        return Response(status: .noContent)
    }

    private func requestObject(_ request: ReadingRequest) -> [String: Any] {
        [
            "id": request.id, "title": request.title, "path": request.path.value, "documents": request.documents, "group": request.group ?? NSNull(),
            "members": request.members, "deadline": ReportCell.iso8601(request.deadline), "time_zone": request.timeZone,
            "created_at": ReportCell.iso8601(request.createdAt), "created_by": request.createdBy,
            "status_url": "\(prefix)/api/v1/requests/\(request.id)",
        ]
    }

    /// A query parameter that cannot be used.
    struct BadParameter: Error, CustomStringConvertible {
        let description: String
    }

    /// The section, member and ordering a report's parameters ask for.
    private static func query<Order: ReportOrder>(_ parameters: Parameters) throws(BadParameter) -> ReportQuery<Order> {
        guard let section = try? SectionPath(parameters["section"].map(String.init) ?? "/") else {
            throw BadParameter(description: "section must be an absolute path such as /papers.")
        }
        guard let order = parameters["sort"].map({ Order(rawValue: String($0)) }) ?? .first else {
            throw BadParameter(description: "sort must be one of \(Order.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let descending: Bool
        switch parameters["order"] {
        case nil, "asc": descending = false
        case "desc": descending = true
        default: throw BadParameter(description: "order must be asc or desc.")
        }
        return ReportQuery(section: section, member: parameters["user"].map(String.init), order: order, descending: descending)
    }

    /// The whole number in parameter `name`, or `nil` when it is absent.
    private static func number(_ name: String, _ parameters: Parameters, in range: ClosedRange<Int>) throws(BadParameter) -> Int? {
        guard let value = parameters[Substring(name)] else { return nil }
        guard let number = Int(value), range.contains(number) else {
            throw BadParameter(description: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
        }
        return number
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(data: data))
        )
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var response = json(["error": message], status: status)
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }
}
