import ClickTracker
import Foundation
import SQLiteNIO

/// The evidence log (see ``EvidenceLog``): entries appended by the writer in each batch's
/// transaction, with digests computed here from the rows as written.
extension SQLiteStore: EvidenceLog {
    /// The columns a view row's evidence is computed from.
    static let viewEvidenceColumns = """
        id, render_id, member, document_id, url, issued_at, viewed_at, version, words, active_ms, max_scroll, reached_end,
        automated, report_seq, reported_at, finished
        """

    /// A view row's evidence, from the values of ``viewEvidenceColumns`` in that order.
    static func viewEvidence(_ values: [SQLiteData]) -> EvidenceRow {
        func integer(_ index: Int) -> Int64 { Int64(values[index].integer ?? 0) }
        return EvidenceRow.view(
            id: integer(0),
            renderID: values[1].string ?? "",
            member: values[2].string ?? "",
            documentID: integer(3),
            url: values[4].string ?? "",
            issuedAt: integer(5),
            viewedAt: integer(6),
            version: values[7].string,
            words: values[8].integer,
            activeMilliseconds: integer(9),
            maximumScroll: Int(integer(10)),
            reachedEnd: integer(11) != 0,
            automated: integer(12) != 0,
            reportSequence: integer(13),
            reportedAt: integer(14),
            finished: integer(15) != 0
        )
    }

    static func viewEvidence(_ row: SQLiteWrittenRow) -> EvidenceRow { viewEvidence(row.values) }
    static func viewEvidence(_ row: SQLiteRow) -> EvidenceRow { viewEvidence(row.columns.map(\.data)) }

    /// An acknowledgement's evidence, from the values of ``acknowledgementEvidenceColumns`` in that order.
    static func acknowledgementEvidence(_ values: [SQLiteData]) -> EvidenceRow {
        EvidenceRow.acknowledgement(
            renderID: values[0].string ?? "",
            member: values[1].string ?? "",
            documentID: Int64(values[2].integer ?? 0),
            version: values[3].string ?? "",
            at: Int64(values[4].integer ?? 0)
        )
    }

    static func acknowledgementEvidence(_ row: SQLiteWrittenRow) -> EvidenceRow { acknowledgementEvidence(row.values) }
    static func acknowledgementEvidence(_ row: SQLiteRow) -> EvidenceRow { acknowledgementEvidence(row.columns.map(\.data)) }

    /// The columns an acknowledgement's evidence is computed from (of `reading`).
    static let acknowledgementEvidenceColumns = "acknowledged_render, member, document_id, version, acknowledged_at"

    /// Appends the entry of a batch: the rows it wrote, as its statements returned them (a row
    /// written twice counts as last written), inside the batch's transaction.
    static func appendRecord(_ rows: [EvidenceRow], on connection: SQLiteWriteConnection) throws {
        guard !rows.isEmpty else { return }
        // In the order written (views by id, as inserted), each row once.
        var latest: [EvidenceLeaf] = []
        var places: [String: Int] = [:]
        for row in rows {
            let name = row.kind.rawValue + row.key
            if let place = places[name] {
                latest[place] = EvidenceLeaf(row)
            } else {
                places[name] = latest.count
                latest.append(EvidenceLeaf(row))
            }
        }
        try appendEntry(.record, leaves: latest, on: connection)
    }

    /// Appends the entry of a removal: the keys of the view rows and acknowledgements removed.
    static func appendRemoval(_ kind: EvidenceEntry.Kind, views: [Int], acknowledged: [String], on connection: SQLiteWriteConnection) throws {
        let leaves =
            views.sorted().map { EvidenceLeaf(kind: .view, key: String($0), digest: nil) }
            + acknowledged.sorted().map { EvidenceLeaf(kind: .acknowledgement, key: $0, digest: nil) }
        guard !leaves.isEmpty else { return }
        try appendEntry(kind, leaves: leaves, on: connection)
    }

    /// The first entry of a database upgraded to version 10: every view and acknowledgement it held.
    static func adoptEvidence(on connection: SQLiteWriteConnection) throws {
        let views = try connection.query("SELECT \(viewEvidenceColumns) FROM view ORDER BY id").map(viewEvidence)
        let acknowledgements = try connection.query(
            "SELECT \(acknowledgementEvidenceColumns) FROM reading WHERE acknowledged_at IS NOT NULL ORDER BY acknowledged_render"
        ).map(acknowledgementEvidence)
        let leaves = (views + acknowledgements).map(EvidenceLeaf.init)
        guard !leaves.isEmpty else { return }
        try appendEntry(.adopted, leaves: leaves, on: connection)
    }

    private static func appendEntry(_ kind: EvidenceEntry.Kind, leaves: [EvidenceLeaf], on connection: SQLiteWriteConnection) throws {
        _ = try connection.query(
            "INSERT INTO evidence_entry (at, kind, leaves) VALUES (?, ?, ?)",
            [.integer(milliseconds(Date())), .text(kind.rawValue), .text(EvidenceLeaf.lines(leaves))]
        )
    }

    /// The last sealed entry's position and chain value.
    static let evidenceHeadQuery = "SELECT position, chain FROM evidence_entry WHERE position IS NOT NULL ORDER BY position DESC LIMIT 1"

    static func evidenceHead(_ row: (some SQLiteNamedColumns)?) -> EvidenceHead {
        guard let row, let size = row.column("position")?.integer, let chain = row.column("chain")?.string else { return .empty }
        return EvidenceHead(size: Int64(size), chain: chain)
    }

    public func evidenceHead() async throws -> EvidenceHead {
        Self.evidenceHead(try await reader.query(Self.evidenceHeadQuery).first)
    }

    public func evidenceEntries(sealed: Bool, after: Int64, limit: Int) async throws -> [EvidenceEntry] {
        let rows =
            sealed
            ? try await reader.query(
                "SELECT * FROM evidence_entry WHERE position > ? ORDER BY position LIMIT ?",
                [.integer(Int(after)), .integer(limit)]
            )
            : try await reader.query(
                "SELECT * FROM evidence_entry WHERE position IS NULL AND id > ? ORDER BY id LIMIT ?",
                [.integer(Int(after)), .integer(limit)]
            )
        return rows.map { row in
            EvidenceEntry(
                id: Int64(row.column("id")?.integer ?? 0),
                at: Int64(row.column("at")?.integer ?? 0),
                kind: row.column("kind")?.string ?? "",
                leaves: row.column("leaves")?.string ?? "",
                position: row.column("position")?.integer.map(Int64.init),
                chain: row.column("chain")?.string
            )
        }
    }

    public func sealEvidence(_ entries: [EvidenceEntry], after head: EvidenceHead) async throws -> Bool {
        do {
            return try await seal(entries, after: head)
        } catch is SealLost {
            return false
        }
    }

    private func seal(_ entries: [EvidenceEntry], after head: EvidenceHead) async throws -> Bool {
        try await transaction { connection in
            guard Self.evidenceHead(try connection.query(Self.evidenceHeadQuery).first) == head else { return false }
            for entry in entries {
                guard let position = entry.position, let chain = entry.chain else { continue }
                let updated = try connection.query(
                    "UPDATE evidence_entry SET position = ?, chain = ? WHERE id = ? AND position IS NULL RETURNING id",
                    [.integer(Int(position)), .text(chain), .integer(Int(entry.id))]
                )
                guard !updated.isEmpty else { throw SealLost() }
            }
            return true
        }
    }

    /// An entry was sealed by someone else meanwhile; the transaction is rolled back.
    private struct SealLost: Error {}

    public func evidenceCheckpoints() async throws -> [EvidenceCheckpoint] {
        try await reader.query("SELECT * FROM evidence_checkpoint ORDER BY size").map(Self.checkpoint)
    }

    public func latestEvidenceCheckpoint() async throws -> EvidenceCheckpoint? {
        try await reader.query("SELECT * FROM evidence_checkpoint ORDER BY size DESC LIMIT 1").first.map(Self.checkpoint)
    }

    public func addEvidenceCheckpoint(_ checkpoint: EvidenceCheckpoint) async throws {
        try await transaction { connection in
            _ = try connection.query(
                "INSERT INTO evidence_checkpoint (size, head, at, key_id, signature) VALUES (?, ?, ?, ?, ?) ON CONFLICT (size) DO NOTHING",
                [
                    .integer(Int(checkpoint.size)), .text(checkpoint.head), .integer(Int(checkpoint.at)), .text(checkpoint.keyID),
                    .text(checkpoint.signature),
                ]
            )
        }
    }

    private static func checkpoint(_ row: SQLiteRow) -> EvidenceCheckpoint {
        EvidenceCheckpoint(
            size: Int64(row.column("size")?.integer ?? 0),
            head: row.column("head")?.string ?? "",
            at: Int64(row.column("at")?.integer ?? 0),
            keyID: row.column("key_id")?.string ?? "",
            signature: row.column("signature")?.string ?? ""
        )
    }

    public func viewEvidence(after id: Int64, limit: Int) async throws -> [(id: Int64, row: EvidenceRow)] {
        try await reader.query(
            "SELECT \(Self.viewEvidenceColumns) FROM view WHERE id > ? ORDER BY id LIMIT ?",
            [.integer(Int(id)), .integer(limit)]
        ).map { row in
            let evidence = Self.viewEvidence(row)
            return (Int64(evidence.key) ?? 0, evidence)
        }
    }

    public func acknowledgementEvidence(after renderID: String, limit: Int) async throws -> [EvidenceRow] {
        try await reader.query(
            """
            SELECT \(Self.acknowledgementEvidenceColumns) FROM reading
            WHERE acknowledged_at IS NOT NULL AND acknowledged_render > ? ORDER BY acknowledged_render LIMIT ?
            """,
            [.text(renderID), .integer(limit)]
        ).map(Self.acknowledgementEvidence)
    }
}
