import ClickTracker
import Foundation
import PostgresNIO

extension PostgresStore {
    public func webhooks() async throws -> [WebhookEndpoint] {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                SELECT w.id, w.url, w.sealed_secret, w.created_at, w.created_by,
                       coalesce((SELECT array_agg(s.event ORDER BY s.event) FROM webhook_subscription s WHERE s.webhook_id = w.id), '{}')
                FROM webhook w ORDER BY w.id
                """,
                logger: logger
            )
            var endpoints: [WebhookEndpoint] = []
            for try await (id, url, secret, createdAt, createdBy, events) in rows.decode((Int64, String, String, Date, String, [String]).self) {
                endpoints.append(
                    WebhookEndpoint(
                        id: id,
                        url: url,
                        events: Set(events.compactMap(WebhookEventType.init(rawValue:))),
                        sealedSecret: secret,
                        createdAt: createdAt,
                        createdBy: createdBy
                    )
                )
            }
            return endpoints
        }
    }

    @discardableResult
    public func addWebhook(_ endpoint: WebhookEndpoint) async throws -> Int64 {
        let (client, logger) = (client, logger)
        let events = endpoint.events.map(\.rawValue).sorted()
        return try await run(.report) {
            let rows = try await client.query(
                """
                WITH created AS (
                    INSERT INTO webhook (url, sealed_secret, created_at, created_by)
                    VALUES (\(endpoint.url), \(endpoint.sealedSecret), \(endpoint.createdAt), \(endpoint.createdBy)) RETURNING id
                ),
                events AS (INSERT INTO webhook_subscription (webhook_id, event) SELECT created.id, e FROM created, unnest(\(events)::text[]) AS e)
                SELECT id FROM created
                """,
                logger: logger
            )
            for try await id in rows.decode(Int64.self) { return id }
            return 0
        }
    }

    @discardableResult
    public func deleteWebhook(id: Int64) async throws -> Bool {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query("DELETE FROM webhook WHERE id = \(id) RETURNING id", logger: logger)
            for try await _ in rows.decode(Int64.self) { return true }
            return false
        }
    }

    public func webhookDeliveries(limit: Int, offset: Int) async throws -> WebhookDeliveryPage {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                "\(unescaped: Self.deliveryColumns) ORDER BY d.id DESC LIMIT \(max(1, limit)) OFFSET \(max(0, offset))",
                logger: logger
            )
            var deliveries: [WebhookDelivery] = []
            for try await row in rows { if let delivery = try Self.delivery(row) { deliveries.append(delivery) } }
            var total = 0
            for try await count in try await client.query("SELECT count(*) FROM webhook_delivery", logger: logger).decode(Int.self) {
                total = count
            }
            return WebhookDeliveryPage(deliveries: deliveries, total: total)
        }
    }

    public func webhookDelivery(id: Int64) async throws -> WebhookDelivery? {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query("\(unescaped: Self.deliveryColumns) WHERE d.id = \(id)", logger: logger)
            for try await row in rows { return try Self.delivery(row) }
            return nil
        }
    }

    public func nextWebhookDelivery() async throws -> Date? {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query("SELECT min(next_attempt_at) FROM webhook_delivery WHERE state = 'pending'", logger: logger)
            for try await due in rows.decode(Date?.self) { return due }
            return nil
        }
    }

    public func claimWebhookDeliveries(owner: String, now: Date, leaseUntil: Date, limit: Int) async throws -> [ClaimedDelivery] {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            // SKIP LOCKED: instances claiming at once take different rows instead of waiting.
            let rows = try await client.query(
                """
                WITH claimed AS (
                    UPDATE webhook_delivery SET leased_until = \(leaseUntil), lease_owner = \(owner), attempts = attempts + 1,
                        last_attempt_at = \(now)
                    WHERE id IN (
                        SELECT id FROM webhook_delivery
                        WHERE state = 'pending' AND next_attempt_at <= \(now) AND (leased_until IS NULL OR leased_until <= \(now))
                        ORDER BY next_attempt_at, id LIMIT \(max(1, limit))
                        FOR UPDATE SKIP LOCKED
                    )
                    RETURNING *
                )
                SELECT d.id, d.webhook_id, w.url, d.message_id, d.event, d.payload, d.created_at, d.state, d.attempts, d.next_attempt_at,
                       d.give_up_at, d.last_attempt_at, d.last_status, d.last_error, d.delivered_at, w.sealed_secret
                FROM claimed d JOIN webhook w ON w.id = d.webhook_id ORDER BY d.id
                """,
                logger: logger
            )
            var claimed: [ClaimedDelivery] = []
            for try await row in rows {
                guard let delivery = try Self.delivery(row) else { continue }
                claimed.append(ClaimedDelivery(delivery: delivery, sealedSecret: try row.makeRandomAccess()[15].decode(String.self)))
            }
            return claimed
        }
    }

    public func finishWebhookDeliveries(_ outcomes: [Int64: WebhookAttemptOutcome], owner: String) async throws {
        guard !outcomes.isEmpty else { return }
        let (client, logger) = (client, logger)
        // The columns of the outcomes, in id order, applied by one statement; arrays hold no NULL,
        // so none is written as the epoch, -1 and "".
        let sorted = outcomes.sorted { $0.key < $1.key }
        var (ids, states, times, statuses, errors): ([Int64], [String], [Date], [Int], [String]) = ([], [], [], [], [])
        for (id, outcome) in sorted {
            ids.append(id)
            switch outcome {
            case .delivered(let status, let at):
                states.append("delivered")
                times.append(at)
                statuses.append(status)
                errors.append("")
            case .failed(let status, let error, _, let retryAt):
                states.append(retryAt == nil ? "failed" : "pending")
                times.append(retryAt ?? Date(timeIntervalSince1970: 0))
                statuses.append(status ?? -1)
                errors.append(error)
            }
        }
        let columns = (ids, states, times, statuses, errors)
        try await run(.report) {
            let (ids, states, times, statuses, errors) = columns
            let rows = try await client.query(
                """
                UPDATE webhook_delivery d SET state = o.state,
                    delivered_at = CASE WHEN o.state = 'delivered' THEN o.at ELSE d.delivered_at END,
                    next_attempt_at = CASE WHEN o.state = 'pending' THEN o.at ELSE d.next_attempt_at END,
                    last_status = nullif(o.status, -1), last_error = nullif(o.error, ''), leased_until = NULL, lease_owner = NULL
                FROM unnest(\(ids)::bigint[], \(states)::text[], \(times)::timestamptz[], \(statuses)::integer[], \(errors)::text[])
                    AS o (id, state, at, status, error)
                WHERE d.id = o.id AND d.lease_owner = \(owner)
                """,
                logger: logger
            )
            for try await _ in rows {}
        }
    }

    @discardableResult
    public func resendWebhookDelivery(id: Int64, now: Date) async throws -> Bool {
        let (client, logger) = (client, logger)
        let giveUp = now.addingTimeInterval(WebhookMessage.retryWindow)
        return try await run(.report) {
            let rows = try await client.query(
                """
                UPDATE webhook_delivery SET state = 'pending', next_attempt_at = \(now), give_up_at = \(giveUp), attempts = 0,
                    leased_until = NULL, lease_owner = NULL
                WHERE id = \(id) AND (leased_until IS NULL OR leased_until <= \(now)) RETURNING id
                """,
                logger: logger
            )
            for try await _ in rows.decode(Int64.self) { return true }
            return false
        }
    }

    @discardableResult
    public func purgeWebhookDeliveries(before cutoff: Date) async throws -> Int {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                "WITH gone AS (DELETE FROM webhook_delivery WHERE state <> 'pending' AND created_at < \(cutoff) RETURNING 1) SELECT count(*) FROM gone",
                logger: logger
            )
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }

    /// Puts `message` in the outbox for every endpoint that asked for its type, on the
    /// connection of the transaction that made the change it tells of.
    static func enqueue(_ message: WebhookMessage, at time: Date, on connection: PostgresConnection, logger: Logger) async throws {
        let payload = String(decoding: message.payload, as: UTF8.self)
        let giveUp = time.addingTimeInterval(WebhookMessage.retryWindow)
        try await connection.query(
            """
            INSERT INTO webhook_delivery (webhook_id, message_id, event, payload, created_at, next_attempt_at, give_up_at)
            SELECT webhook_id, clicktracker_message_id(), event, \(payload), \(time), \(time), \(giveUp)
            FROM webhook_subscription WHERE event = \(message.type.rawValue)
            """,
            logger: logger
        )
    }

    private static let deliveryColumns = """
        SELECT d.id, d.webhook_id, w.url, d.message_id, d.event, d.payload, d.created_at, d.state, d.attempts, d.next_attempt_at,
            d.give_up_at, d.last_attempt_at, d.last_status, d.last_error, d.delivered_at
        FROM webhook_delivery d JOIN webhook w ON w.id = d.webhook_id
        """

    private static func delivery(_ row: PostgresRow) throws -> WebhookDelivery? {
        let columns = row.makeRandomAccess()
        guard let type = WebhookEventType(rawValue: try columns[4].decode(String.self)),
            let state = WebhookDelivery.State(rawValue: try columns[7].decode(String.self))
        else { return nil }
        return WebhookDelivery(
            id: try columns[0].decode(Int64.self),
            endpointID: try columns[1].decode(Int64.self),
            url: try columns[2].decode(String.self),
            messageID: try columns[3].decode(String.self),
            type: type,
            payload: Data(try columns[5].decode(String.self).utf8),
            createdAt: try columns[6].decode(Date.self),
            state: state,
            attempts: try columns[8].decode(Int.self),
            nextAttemptAt: try columns[9].decode(Date.self),
            giveUpAt: try columns[10].decode(Date.self),
            lastAttemptAt: try columns[11].decode(Date?.self),
            lastStatus: try columns[12].decode(Int?.self),
            lastError: try columns[13].decode(String?.self),
            deliveredAt: try columns[14].decode(Date?.self)
        )
    }
}
