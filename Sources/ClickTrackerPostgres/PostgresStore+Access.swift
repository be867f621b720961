import ClickTracker
import Foundation
import PostgresNIO

extension PostgresStore {
    public func apiTokens() async throws -> [APIToken] {
        try await run(.report) { try await self.readTokens(hash: nil) }
    }

    public func apiToken(hash: String) async throws -> APIToken? {
        try await run(.report) { try await self.readTokens(hash: hash).first }
    }

    private func readTokens(hash: String?) async throws -> [APIToken] {
        let rows = try await client.query(
            """
            SELECT id, name, token_hash, created_at, created_by, revoked_at FROM api_token
            WHERE \(hash)::text IS NULL OR token_hash = \(hash)
            ORDER BY created_at DESC, id DESC
            """,
            logger: logger
        )
        var tokens: [APIToken] = []
        for try await (id, name, hash, createdAt, createdBy, revokedAt) in rows.decode((Int64, String, String, Date, String, Date?).self) {
            tokens.append(APIToken(id: id, name: name, hash: hash, createdAt: createdAt, createdBy: createdBy, revokedAt: revokedAt))
        }
        return tokens
    }

    @discardableResult
    public func addAPIToken(_ token: APIToken) async throws -> Int64 {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                INSERT INTO api_token (name, token_hash, created_at, created_by)
                VALUES (\(token.name), \(token.hash), \(token.createdAt), \(token.createdBy)) RETURNING id
                """,
                logger: logger
            )
            for try await id in rows.decode(Int64.self) { return id }
            return 0
        }
    }

    @discardableResult
    public func revokeAPIToken(id: Int64) async throws -> Bool {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                "UPDATE api_token SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL RETURNING id",
                logger: logger
            )
            for try await _ in rows.decode(Int64.self) { return true }
            return false
        }
    }

    public func recordAudit(_ entry: AuditEntry) async throws {
        let (client, logger) = (client, logger)
        try await run(.report) {
            let rows = try await client.query(
                "INSERT INTO audit_entry (at, actor, action, subject) VALUES (\(entry.at), \(entry.actor), \(entry.action), \(entry.subject))",
                logger: logger
            )
            for try await _ in rows {}
        }
    }

    public func endSession(id: String, expiresAt: Date) async throws {
        let (client, logger) = (client, logger)
        try await run(.report) {
            let rows = try await client.query(
                """
                WITH expired AS (DELETE FROM ended_session WHERE expires_at < now())
                INSERT INTO ended_session (id, expires_at) VALUES (\(id), \(expiresAt)) ON CONFLICT (id) DO NOTHING
                """,
                logger: logger
            )
            for try await _ in rows {}
        }
    }

    public func isSessionEnded(id: String) async throws -> Bool {
        let (client, logger) = (client, logger)
        return try await run(.quick) {
            let rows = try await client.query("SELECT count(*) FROM ended_session WHERE id = \(id)", logger: logger)
            for try await count in rows.decode(Int.self) { return count > 0 }
            return false
        }
    }

    public func auditLog(limit: Int, offset: Int) async throws -> AuditPage {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                SELECT at, actor, action, subject, count(*) OVER () FROM audit_entry
                ORDER BY at DESC, id DESC LIMIT \(max(1, limit)) OFFSET \(max(0, offset))
                """,
                logger: logger
            )
            var entries: [AuditEntry] = []
            var total = 0
            for try await (at, actor, action, subject, all) in rows.decode((Date, String, String, String, Int).self) {
                entries.append(AuditEntry(at: at, actor: actor, action: action, subject: subject))
                total = all
            }
            if entries.isEmpty {
                for try await count in try await client.query("SELECT count(*) FROM audit_entry", logger: logger).decode(Int.self) {
                    total = count
                }
            }
            return AuditPage(entries: entries, total: total)
        }
    }
}
