import ClickTracker
import Foundation
import PostgresNIO

extension PostgresStore {
    @discardableResult
    public func addReceipt(_ receipt: StoredReceipt) async throws -> Int64? {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                INSERT INTO request_receipt (request_id, reason, issued_at, issued_by, members, body)
                SELECT id, \(receipt.reason.rawValue), \(receipt.issuedAt), \(receipt.issuedBy), \(receipt.membersText), \(receipt.body)
                FROM reading_request WHERE id = \(receipt.requestID)
                ON CONFLICT DO NOTHING
                RETURNING id
                """,
                logger: logger
            )
            for try await id in rows.decode(Int64.self) { return id }
            return nil
        }
    }

    public func receipts(requestID: Int64) async throws -> [StoredReceipt] {
        try await receipts(
            "SELECT id, request_id, reason, issued_at, issued_by, members, '' FROM request_receipt WHERE request_id = \(requestID) ORDER BY id DESC"
        )
    }

    public func receipt(id: Int64) async throws -> StoredReceipt? {
        try await receipts("SELECT id, request_id, reason, issued_at, issued_by, members, body FROM request_receipt WHERE id = \(id)").first
    }

    private func receipts(_ query: PostgresQuery) async throws -> [StoredReceipt] {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(query, logger: logger)
            var receipts: [StoredReceipt] = []
            for try await (id, requestID, reason, issuedAt, issuedBy, members, body) in rows.decode(
                (Int64, Int64, String, Date, String, String, String).self
            ) {
                guard let reason = StoredReceipt.Reason(rawValue: reason) else { continue }
                receipts.append(
                    StoredReceipt(
                        id: id,
                        requestID: requestID,
                        reason: reason,
                        issuedAt: issuedAt,
                        issuedBy: issuedBy,
                        members: StoredReceipt.members(members),
                        body: body
                    )
                )
            }
            return receipts
        }
    }
}
