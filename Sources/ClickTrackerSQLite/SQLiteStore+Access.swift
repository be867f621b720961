import ClickTracker
import Foundation
import SQLiteNIO

extension SQLiteStore {
    public func apiTokens() async throws -> [APIToken] {
        try await reader.query(
            "SELECT id, name, token_hash, created_at, created_by, revoked_at FROM api_token ORDER BY created_at DESC, id DESC"
        ).map(Self.token)
    }

    public func apiToken(hash: String) async throws -> APIToken? {
        try await reader.query(
            "SELECT id, name, token_hash, created_at, created_by, revoked_at FROM api_token WHERE token_hash = ?",
            [.text(hash)]
        ).first.map(Self.token)
    }

    @discardableResult
    public func addAPIToken(_ token: APIToken) async throws -> Int64 {
        try await transaction { connection in
            let rows = try connection.query(
                "INSERT INTO api_token (name, token_hash, created_at, created_by) VALUES (?, ?, ?, ?) RETURNING id",
                [.text(token.name), .text(token.hash), .integer(Self.milliseconds(token.createdAt)), .text(token.createdBy)]
            )
            return Int64(rows.first?.column("id")?.integer ?? 0)
        }
    }

    @discardableResult
    public func revokeAPIToken(id: Int64) async throws -> Bool {
        let now = Self.milliseconds(Date())
        return try await transaction { connection in
            try !connection.query(
                "UPDATE api_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id",
                [.integer(now), .integer(Int(id))]
            ).isEmpty
        }
    }

    public func recordAudit(_ entry: AuditEntry) async throws {
        try await transaction { connection in
            _ = try connection.query(
                "INSERT INTO audit_entry (at, actor, action, subject) VALUES (?, ?, ?, ?)",
                [.integer(Self.milliseconds(entry.at)), .text(entry.actor), .text(entry.action), .text(entry.subject)]
            )
        }
    }

    public func endSession(id: String, expiresAt: Date) async throws {
        let now = Self.milliseconds(Date())
        try await transaction { connection in
            _ = try connection.query("DELETE FROM ended_session WHERE expires_at < ?", [.integer(now)])
            _ = try connection.query(
                "INSERT INTO ended_session (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                [.text(id), .integer(Self.milliseconds(expiresAt))]
            )
        }
    }

    public func isSessionEnded(id: String) async throws -> Bool {
        try await !reader.query("SELECT 1 FROM ended_session WHERE id = ?", [.text(id)]).isEmpty
    }

    public func auditLog(limit: Int, offset: Int) async throws -> AuditPage {
        let rows = try await reader.query(
            "SELECT at, actor, action, subject FROM audit_entry ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
            [.integer(max(1, limit)), .integer(max(0, offset))]
        )
        let total = try await reader.query("SELECT count(*) AS total FROM audit_entry").first?.column("total")?.integer ?? 0
        let entries = rows.map { row in
            AuditEntry(
                at: Self.date(row.column("at")),
                actor: row.column("actor")?.string ?? "",
                action: row.column("action")?.string ?? "",
                subject: row.column("subject")?.string ?? ""
            )
        }
        return AuditPage(entries: entries, total: total)
    }

    private static func token(_ row: SQLiteRow) -> APIToken {
        APIToken(
            id: Int64(row.column("id")?.integer ?? 0),
            name: row.column("name")?.string ?? "",
            hash: row.column("token_hash")?.string ?? "",
            createdAt: date(row.column("created_at")),
            createdBy: row.column("created_by")?.string ?? "",
            revokedAt: row.column("revoked_at")?.integer.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        )
    }
}
