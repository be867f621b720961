import ClickTracker
import Foundation

/// Issues signed receipts of reading requests (see ``ReadingReceipt``): every expected reader's
/// stage with each document, the evidence recorded for it, and the evidence log checkpoint it
/// rests on, signed with the server's key and kept by the store.
struct RequestReceipts: Sendable {
    let storage: any ClickStorage
    let sealer: EvidenceSealer
    /// The mount point, for the public key's address in the receipt.
    let prefix: String

    /// Who issues the receipt at the deadline.
    static let server = "ClickTracker"

    /// Issues and keeps a receipt of `request` as it stands at `now` (frozen at its deadline once
    /// that has passed). Returns `nil` when the request is gone or, for a deadline receipt, when
    /// it has one already.
    func issue(_ request: ReadingRequest, reason: StoredReceipt.Reason, by actor: String, now: Date = Date()) async throws -> StoredReceipt? {
        let report = try await RequestReport.make(request, storage: storage, now: now)
        let grid = report.grid
        var cells: [String: [RequestGrid.Cell]] = [:]
        for chunk in grid.rows.map(\.person.member).chunks(of: RequestReport.readersPerRead) {
            cells.merge(try await report.cells(of: Array(chunk), columns: 0..<grid.columns.count)) { _, new in new }
        }
        // Sealed after the status was read, so the checkpoint covers everything it shows.
        guard let checkpoint = try await sealer.seal(now: Date(), force: true) else { throw CheckpointMissing() }
        let payload = try Self.payload(
            grid,
            cells: cells,
            reason: reason,
            by: actor,
            at: now,
            checkpoint: checkpoint,
            key: sealer.key,
            prefix: prefix
        )
        let receipt = ReadingReceipt(signing: payload, with: sealer.key)
        var stored = StoredReceipt(
            requestID: request.id,
            reason: reason,
            issuedAt: now,
            issuedBy: actor,
            members: grid.rows.map(\.person.member).sorted(),
            body: String(decoding: receipt.json, as: UTF8.self)
        )
        guard let id = try await storage.addReceipt(stored) else { return nil }
        stored.id = id
        return stored
    }

    /// The checkpoint just signed could not be read back.
    struct CheckpointMissing: Error, CustomStringConvertible {
        var description: String { "the evidence log's checkpoint could not be read back from the database" }
    }

    /// The status document, as signed: JSON with sorted keys.
    static func payload(
        _ grid: RequestGrid,
        cells: [String: [RequestGrid.Cell]],
        reason: StoredReceipt.Reason,
        by actor: String,
        at time: Date,
        checkpoint: EvidenceCheckpoint,
        key: EvidenceSigningKey,
        prefix: String
    ) throws -> String {
        let request = grid.request
        let iso = WebhookMessage.iso8601
        var requestData: [String: Any] = [
            "id": request.id, "title": request.title, "path": request.path.value, "deadline": iso(request.deadline),
            "time_zone": request.timeZone, "created_at": iso(request.createdAt), "created_by": request.createdBy,
        ]
        if let group = request.group { requestData["group"] = group }
        if let frozen = request.frozenAt { requestData["frozen_at"] = iso(frozen) }
        if let completed = request.completedAt { requestData["completed_at"] = iso(completed) }
        let readers = grid.rows.sorted { $0.person.member < $1.person.member }.map { row -> [String: Any] in
            var reader: [String: Any] = [
                "member": row.person.member, "stage": row.progress.stage.rawValue, "documents_read": row.progress.documentsRead,
            ]
            if let name = row.person.displayName { reader["name"] = name }
            reader["documents"] = zip(grid.columns, cells[row.person.member] ?? []).map { column, cell in Self.cellData(column, cell) }
            return reader
        }
        let counts = grid.counts
        let document: [String: Any] = [
            "type": "clicktracker.reading-receipt",
            "reason": reason.rawValue,
            "issued_at": iso(time),
            "issued_by": actor,
            "status_as_of": iso(grid.isPastDeadline ? request.deadline : time),
            "request": requestData,
            "documents": grid.columns.map { column -> [String: Any] in
                var document: [String: Any] = ["path": column.path]
                if let title = column.document?.title { document["title"] = title }
                if let key = column.document?.key { document["key"] = key }
                return document
            },
            "counts": [
                "expected": counts.expected, "read": counts.read, "opened": counts.opened, "not_opened": counts.notOpened, "late": counts.late,
            ],
            "readers": readers,
            "evidence_log": [
                "checkpoint": [
                    "size": checkpoint.size, "head": checkpoint.head, "at": checkpoint.at, "key_id": checkpoint.keyID,
                    "signature": checkpoint.signature,
                ] as [String: Any],
                "public_key": key.publicKey.base64,
                "public_key_path": "\(prefix)/evidence/key",
            ] as [String: Any],
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// One reader's cell: the stage (at the deadline once past), a later stage if reached since,
    /// and the evidence recorded per version.
    private static func cellData(_ column: RequestGrid.Column, _ cell: RequestGrid.Cell) -> [String: Any] {
        let iso = WebhookMessage.iso8601
        var document: [String: Any] = ["path": column.path, "stage": cell.stage.rawValue]
        if let reached = cell.reachedAt, cell.stage > .notOpened { document["reached_at"] = iso(reached) }
        if cell.isLate {
            document["stage_since"] = cell.now.rawValue
            if let reached = cell.nowReachedAt { document["stage_since_reached_at"] = iso(reached) }
        }
        document["evidence"] = (cell.evidence?.versions ?? []).map { version -> [String: Any] in
            var evidence: [String: Any] = [
                "views": version.views, "first_view": iso(version.firstView), "last_view": iso(version.lastView),
                "active_ms": version.activeMilliseconds, "max_scroll_percent": version.maximumScroll,
                "reached_end": version.reachedEnd, "automated": version.automated,
            ]
            if let id = version.version { evidence["version"] = id }
            if let words = version.words { evidence["words"] = words }
            if let read = version.readAt { evidence["read_at"] = iso(read) }
            if let acknowledged = version.acknowledgedAt { evidence["acknowledged_at"] = iso(acknowledged) }
            return evidence
        }
        return document
    }
}
