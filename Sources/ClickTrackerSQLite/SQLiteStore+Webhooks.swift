import ClickTracker
import Foundation
import SQLiteNIO

extension SQLiteStore {
    public func webhooks() async throws -> [WebhookEndpoint] {
        let rows = try await reader.query(
            """
            SELECT w.id, w.url, w.sealed_secret, w.created_at, w.created_by, group_concat(s.event, ' ') AS events
            FROM webhook w LEFT JOIN webhook_subscription s ON s.webhook_id = w.id
            GROUP BY w.id ORDER BY w.id
            """
        )
        return rows.map { row in
            WebhookEndpoint(
                id: Int64(row.column("id")?.integer ?? 0),
                url: row.column("url")?.string ?? "",
                events: Set((row.column("events")?.string ?? "").split(separator: " ").compactMap { WebhookEventType(rawValue: String($0)) }),
                sealedSecret: row.column("sealed_secret")?.string ?? "",
                createdAt: Self.date(row.column("created_at")),
                createdBy: row.column("created_by")?.string ?? ""
            )
        }
    }

    @discardableResult
    public func addWebhook(_ endpoint: WebhookEndpoint) async throws -> Int64 {
        try await transaction { connection in
            let rows = try connection.query(
                "INSERT INTO webhook (url, sealed_secret, created_at, created_by) VALUES (?, ?, ?, ?) RETURNING id",
                [.text(endpoint.url), .text(endpoint.sealedSecret), .integer(Self.milliseconds(endpoint.createdAt)), .text(endpoint.createdBy)]
            )
            let id = rows.first?.column("id")?.integer ?? 0
            for event in endpoint.events {
                _ = try connection.query("INSERT INTO webhook_subscription (webhook_id, event) VALUES (?, ?)", [.integer(id), .text(event.rawValue)])
            }
            return Int64(id)
        }
    }

    @discardableResult
    public func deleteWebhook(id: Int64) async throws -> Bool {
        try await transaction { connection in
            try !connection.query("DELETE FROM webhook WHERE id = ? RETURNING id", [.integer(Int(id))]).isEmpty
        }
    }

    public func webhookDeliveries(limit: Int, offset: Int) async throws -> WebhookDeliveryPage {
        let rows = try await reader.query(
            "\(Self.deliveryColumns) ORDER BY d.id DESC LIMIT ? OFFSET ?",
            [.integer(max(1, limit)), .integer(max(0, offset))]
        )
        let total = try await reader.query("SELECT count(*) AS total FROM webhook_delivery").first?.column("total")?.integer ?? 0
        return WebhookDeliveryPage(deliveries: rows.compactMap(Self.delivery), total: total)
    }

    public func webhookDelivery(id: Int64) async throws -> WebhookDelivery? {
        try await reader.query("\(Self.deliveryColumns) WHERE d.id = ?", [.integer(Int(id))]).first.flatMap(Self.delivery)
    }

    public func nextWebhookDelivery() async throws -> Date? {
        try await Self.optionalDate(
            reader.query("SELECT min(next_attempt_at) AS due FROM webhook_delivery WHERE state = 'pending'").first?.column("due")
        )
    }

    public func claimWebhookDeliveries(owner: String, now: Date, leaseUntil: Date, limit: Int) async throws -> [ClaimedDelivery] {
        let (now, until) = (Self.milliseconds(now), Self.milliseconds(leaseUntil))
        return try await transaction { connection in
            let claimed = try connection.query(
                """
                UPDATE webhook_delivery SET leased_until = ?, lease_owner = ?, attempts = attempts + 1, last_attempt_at = ?
                WHERE id IN (
                    SELECT id FROM webhook_delivery
                    WHERE state = 'pending' AND next_attempt_at <= ? AND (leased_until IS NULL OR leased_until <= ?)
                    ORDER BY next_attempt_at, id LIMIT ?
                )
                RETURNING id
                """,
                [.integer(until), .text(owner), .integer(now), .integer(now), .integer(now), .integer(max(1, limit))]
            )
            let ids = claimed.compactMap { $0.column("id")?.integer }
            guard !ids.isEmpty else { return [] }
            let rows = try connection.query(
                "\(Self.deliveryColumns.replacingOccurrences(of: "SELECT ", with: "SELECT w.sealed_secret, ")) WHERE d.id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", "))) ORDER BY d.id",
                ids.map(SQLiteData.integer)
            )
            return rows.compactMap { row in
                Self.delivery(row).map { ClaimedDelivery(delivery: $0, sealedSecret: row.column("sealed_secret")?.string ?? "") }
            }
        }
    }

    public func finishWebhookDeliveries(_ outcomes: [Int64: WebhookAttemptOutcome], owner: String) async throws {
        guard !outcomes.isEmpty else { return }
        try await transaction { connection in
            for (id, outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
                switch outcome {
                case .delivered(let status, let at):
                    _ = try connection.query(
                        """
                        UPDATE webhook_delivery SET state = 'delivered', delivered_at = ?, last_status = ?, last_error = NULL,
                            leased_until = NULL, lease_owner = NULL
                        WHERE id = ? AND lease_owner = ?
                        """,
                        [.integer(Self.milliseconds(at)), .integer(status), .integer(Int(id)), .text(owner)]
                    )
                case .failed(let status, let error, _, let retryAt):
                    _ = try connection.query(
                        """
                        UPDATE webhook_delivery SET state = ?, next_attempt_at = coalesce(?, next_attempt_at), last_status = ?, last_error = ?,
                            leased_until = NULL, lease_owner = NULL
                        WHERE id = ? AND lease_owner = ?
                        """,
                        [
                            .text(retryAt == nil ? "failed" : "pending"), Self.optional(retryAt.map(Self.milliseconds)), Self.optional(status),
                            .text(error), .integer(Int(id)), .text(owner),
                        ]
                    )
                }
            }
        }
    }

    @discardableResult
    public func resendWebhookDelivery(id: Int64, now: Date) async throws -> Bool {
        let (now, giveUp) = (Self.milliseconds(now), Self.milliseconds(now.addingTimeInterval(WebhookMessage.retryWindow)))
        return try await transaction { connection in
            try !connection.query(
                """
                UPDATE webhook_delivery SET state = 'pending', next_attempt_at = ?, give_up_at = ?, attempts = 0,
                    leased_until = NULL, lease_owner = NULL
                WHERE id = ? AND (leased_until IS NULL OR leased_until <= ?) RETURNING id
                """,
                [.integer(now), .integer(giveUp), .integer(Int(id)), .integer(now)]
            ).isEmpty
        }
    }

    @discardableResult
    public func purgeWebhookDeliveries(before cutoff: Date) async throws -> Int {
        try await transaction { connection in
            try connection.query(
                "DELETE FROM webhook_delivery WHERE state <> 'pending' AND created_at < ? RETURNING id",
                [.integer(Self.milliseconds(cutoff))]
            ).count
        }
    }

    /// Puts `message` in the outbox for every endpoint that asked for its type, on the
    /// connection of the transaction that made the change it tells of.
    static func enqueue(_ message: WebhookMessage, at time: Date, on connection: SQLiteWriteConnection) throws {
        let now = milliseconds(time)
        _ = try connection.query(
            """
            INSERT INTO webhook_delivery (webhook_id, message_id, event, payload, created_at, next_attempt_at, give_up_at)
            SELECT webhook_id, \(messageID), event, ?, ?, ?, ? FROM webhook_subscription WHERE event = ?
            """,
            [
                .text(String(decoding: message.payload, as: UTF8.self)), .integer(now), .integer(now),
                .integer(now + Int(WebhookMessage.retryWindow * 1000)), .text(message.type.rawValue),
            ]
        )
    }

    /// A new message id in SQL: `msg_` and 128 random bits in hex.
    static let messageID = "'msg_' || lower(hex(randomblob(16)))"

    /// A trigger on `reading` that puts a `read.recorded` message in the outbox for every endpoint
    /// that asked for it, when a reader reached `stage` (at the time `at`, in milliseconds).
    static func readAnnouncement(trigger: String, event: String, when condition: String, stage: String, at time: String) -> String {
        let iso = { (milliseconds: String) in "strftime('%Y-%m-%dT%H:%M:%fZ', (\(milliseconds)) / 1000.0, 'unixepoch')" }
        // A reading added with its read or acknowledgement already (a view copied from another
        // store) says so.
        let stage =
            event == "INSERT"
            ? "CASE WHEN new.acknowledged_at IS NOT NULL THEN 'acknowledged' WHEN new.read_at IS NOT NULL THEN 'read' ELSE 'opened' END"
            : "'\(stage)'"
        let time = event == "INSERT" ? "coalesce(new.acknowledged_at, new.read_at, new.first_view)" : time
        return """
            CREATE TRIGGER \(trigger) AFTER \(event) ON reading
            WHEN \(condition) AND EXISTS (SELECT 1 FROM webhook_subscription WHERE event = 'read.recorded')
            BEGIN
                INSERT INTO webhook_delivery (webhook_id, message_id, event, payload, created_at, next_attempt_at, give_up_at)
                SELECT s.webhook_id, \(messageID), 'read.recorded',
                    json_object(
                        'data', json_object(
                            'at', \(iso(time)),
                            'document', json((SELECT json_object('key', d.key, 'path', d.path, 'title', d.title) FROM document d WHERE d.id = new.document_id)),
                            'member', new.member,
                            'stage', \(stage),
                            'version', nullif(new.version, '')
                        ),
                        'timestamp', \(iso(clock)),
                        'type', 'read.recorded'
                    ),
                    \(clock), \(clock), \(clock) + \(Int(WebhookMessage.retryWindow * 1000))
                FROM webhook_subscription s WHERE s.event = 'read.recorded';
            END
            """
    }

    private static let deliveryColumns = """
        SELECT d.id, d.webhook_id, w.url, d.message_id, d.event, d.payload, d.created_at, d.state, d.attempts, d.next_attempt_at,
            d.give_up_at, d.last_attempt_at, d.last_status, d.last_error, d.delivered_at
        FROM webhook_delivery d JOIN webhook w ON w.id = d.webhook_id
        """

    private static func delivery(_ row: some SQLiteNamedColumns) -> WebhookDelivery? {
        guard let type = row.column("event")?.string.flatMap(WebhookEventType.init(rawValue:)),
            let state = row.column("state")?.string.flatMap(WebhookDelivery.State.init(rawValue:))
        else { return nil }
        return WebhookDelivery(
            id: Int64(row.column("id")?.integer ?? 0),
            endpointID: Int64(row.column("webhook_id")?.integer ?? 0),
            url: row.column("url")?.string ?? "",
            messageID: row.column("message_id")?.string ?? "",
            type: type,
            payload: Data((row.column("payload")?.string ?? "").utf8),
            createdAt: date(row.column("created_at")),
            state: state,
            attempts: row.column("attempts")?.integer ?? 0,
            nextAttemptAt: date(row.column("next_attempt_at")),
            giveUpAt: date(row.column("give_up_at")),
            lastAttemptAt: optionalDate(row.column("last_attempt_at")),
            lastStatus: row.column("last_status")?.integer,
            lastError: row.column("last_error")?.string,
            deliveredAt: optionalDate(row.column("delivered_at"))
        )
    }
}
