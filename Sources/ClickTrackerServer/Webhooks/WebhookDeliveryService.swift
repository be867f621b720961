import AsyncHTTPClient
import ClickTracker
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Sends the outbox: every second, claims the deliveries that are due (no other instance sends
/// them meanwhile), posts each signed as Standard Webhooks asks, and records the answer. A failed
/// attempt is retried with exponential back-off (``WebhookSettings/retryBase`` doubled each time,
/// at most 6 hours apart) until a day has passed since the message was made. A claim lasts the
/// endpoint's time to answer and 15 s more: an instance that dies while sending holds its
/// deliveries that long.
struct WebhookDeliveryService: Service {
    let storage: any ClickStorage
    let key: SecretKey
    let settings: WebhookSettings
    let logger: Logger
    /// This instance, as the owner of its claims.
    let owner = "instance-" + WebhookMessage.newID().dropFirst(4)

    /// Deliveries sent at once.
    static let batchSize = 16

    func run() async throws {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10)),
            decompression: .disabled
        )
        // An endpoint that refuses connections is an attempt that failed, logged and retried
        // after the back-off, not one that waits out the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var lastPurge = Date.distantPast
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            var more = false
            do {
                let now = Date()
                if let due = try await storage.nextWebhookDelivery(), due <= now {
                    let claimed = try await storage.claimWebhookDeliveries(
                        owner: owner,
                        now: now,
                        leaseUntil: now.addingTimeInterval(settings.timeout + 15),
                        limit: Self.batchSize
                    )
                    await send(claimed, client: client)
                    more = claimed.count == Self.batchSize
                }
                if now.timeIntervalSince(lastPurge) > 3600 {
                    lastPurge = now
                    let removed = try await storage.purgeWebhookDeliveries(before: now.addingTimeInterval(-Self.keptFor))
                    if removed > 0 { logger.info("Webhooks: removed \(removed) deliveries older than 30 days from the log") }
                }
            } catch {
                logger.warning("Webhooks: could not read the outbox: \(error)")
            }
            if !more { _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.pollInterval) } }
        }
        try? await client.shutdown()
    }

    /// How long the delivery log keeps deliveries that were delivered or given up.
    static let keptFor: TimeInterval = 30 * 86_400

    /// One attempt at each claimed delivery, all at once; what the endpoints answered is recorded
    /// in one transaction.
    func send(_ claimed: [ClaimedDelivery], client: HTTPClient) async {
        // Each endpoint's secret is opened once per batch.
        var secrets: [String: WebhookSecret] = [:]
        for sealed in Set(claimed.map(\.sealedSecret)) { secrets[sealed] = WebhookSecret.open(sealed, with: key) }
        let outcomes = await withTaskGroup(of: (Int64, WebhookAttemptOutcome).self) { group in
            for delivery in claimed {
                let secret = secrets[delivery.sealedSecret]
                group.addTask { (delivery.delivery.id, await attempt(delivery.delivery, secret: secret, client: client)) }
            }
            return await group.reduce(into: [Int64: WebhookAttemptOutcome]()) { $0[$1.0] = $1.1 }
        }
        do {
            try await storage.finishWebhookDeliveries(outcomes, owner: owner)
        } catch {
            // The claims run out and the deliveries are tried again: a receiver may see one twice,
            // with the same webhook-id.
            logger.warning("Webhooks: could not record \(outcomes.count) attempts: \(error)")
        }
    }

    /// One attempt: post the message (unless its secret cannot be opened) and log what happened.
    private func attempt(_ delivery: WebhookDelivery, secret: WebhookSecret?, client: HTTPClient) async -> WebhookAttemptOutcome {
        let outcome: WebhookAttemptOutcome
        if let secret {
            outcome = await post(delivery, secret: secret, client: client)
        } else {
            outcome = failed(
                delivery,
                status: nil,
                error: "the endpoint's secret cannot be opened with this server's key (was the key changed?); delete the endpoint and add it again"
            )
        }
        switch outcome {
        case .delivered(let status, _):
            logger.debug(
                "Webhooks: delivered \(delivery.messageID) (\(delivery.type.rawValue)) to \(WebhookEndpoint.site(of: delivery.url)): \(status)"
            )
        case .failed(_, let error, _, let retryAt):
            let next = retryAt.map { "tried again at \($0)" } ?? "given up after \(delivery.attempts) attempts"
            logger.notice(
                "Webhooks: \(delivery.messageID) (\(delivery.type.rawValue)) to \(WebhookEndpoint.site(of: delivery.url)) failed: \(error); \(next)"
            )
        }
        return outcome
    }

    private func post(_ delivery: WebhookDelivery, secret: WebhookSecret, client: HTTPClient) async -> WebhookAttemptOutcome {
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "ClickTracker-Webhooks")
        request.headers.add(name: "webhook-id", value: delivery.messageID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: secret.signature(id: delivery.messageID, timestamp: timestamp, body: delivery.payload))
        request.body = .bytes(ByteBuffer(bytes: delivery.payload))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(settings.timeout * 1000)), logger: logger)
            // The answer's body is read and dropped: an endpoint's answers are not shown anywhere.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return .delivered(status: status, at: Date()) }
            return failed(delivery, status: status, error: "the endpoint answered \(status) \(response.status.reasonPhrase)")
        } catch {
            return failed(delivery, status: nil, error: Self.describe(error, timeout: settings.timeout))
        }
    }

    /// A failed attempt, to be tried again after the back-off, or given up after a day.
    private func failed(_ delivery: WebhookDelivery, status: Int?, error: String) -> WebhookAttemptOutcome {
        let now = Date()
        guard now < delivery.giveUpAt else { return .failed(status: status, error: error, at: now, retryAt: nil) }
        let delay = min(settings.retryBase * pow(2, Double(max(0, delivery.attempts - 1))), 6 * 3600) * Double.random(in: 0.9...1.1)
        return .failed(status: status, error: error, at: now, retryAt: min(now.addingTimeInterval(delay), delivery.giveUpAt))
    }

    /// A transport error in words for the delivery log.
    static func describe(_ error: any Error, timeout: TimeInterval) -> String {
        switch error {
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
            "no answer within \(Int(timeout)) s"
        case let error as HTTPClientError where error == .connectTimeout:
            "could not connect within 10 s"
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            "the endpoint closed the connection without answering"
        case is IOError:
            "could not connect: \(error)"
        default:
            "\(error)"
        }
    }
}

/// How webhooks are sent (`webhooks.*` in the configuration).
public struct WebhookSettings: Sendable {
    /// Seconds before the first retry; each later one waits twice as long (`webhooks.retry_base`).
    public var retryBase: TimeInterval = 30
    /// Seconds an endpoint has to answer (`webhooks.timeout`).
    public var timeout: TimeInterval = 15
    /// How often the outbox is looked at.
    public var pollInterval: Duration = .seconds(1)

    /// Creates the defaults.
    public init() {}
}
