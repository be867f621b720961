import ClickTracker
import Foundation
import SQLiteNIO

extension SQLiteStore {
    @discardableResult
    public func addReceipt(_ receipt: StoredReceipt) async throws -> Int64? {
        try await transaction { connection in
            let rows = try connection.query(
                """
                INSERT INTO request_receipt (request_id, reason, issued_at, issued_by, members, body)
                SELECT id, ?, ?, ?, ?, ? FROM reading_request WHERE id = ?
                ON CONFLICT DO NOTHING
                RETURNING id
                """,
                [
                    .text(receipt.reason.rawValue), .integer(Self.milliseconds(receipt.issuedAt)), .text(receipt.issuedBy),
                    .text(receipt.membersText), .text(receipt.body), .integer(Int(receipt.requestID)),
                ]
            )
            return rows.first?.column("id")?.integer.map(Int64.init)
        }
    }

    public func receipts(requestID: Int64) async throws -> [StoredReceipt] {
        try await reader.query(
            "SELECT id, request_id, reason, issued_at, issued_by, members, '' AS body FROM request_receipt WHERE request_id = ? ORDER BY id DESC",
            [.integer(Int(requestID))]
        ).compactMap(Self.receipt)
    }

    public func receipt(id: Int64) async throws -> StoredReceipt? {
        try await reader.query("SELECT * FROM request_receipt WHERE id = ?", [.integer(Int(id))]).first.flatMap(Self.receipt)
    }

    private static func receipt(_ row: SQLiteRow) -> StoredReceipt? {
        guard let reason = row.column("reason")?.string.flatMap(StoredReceipt.Reason.init(rawValue:)) else { return nil }
        return StoredReceipt(
            id: Int64(row.column("id")?.integer ?? 0),
            requestID: Int64(row.column("request_id")?.integer ?? 0),
            reason: reason,
            issuedAt: date(row.column("issued_at")),
            issuedBy: row.column("issued_by")?.string ?? "",
            members: StoredReceipt.members(row.column("members")?.string ?? ""),
            body: row.column("body")?.string ?? ""
        )
    }
}
