import ClickTracker
import Foundation
import PostgresNIO

/// The evidence log (see ``EvidenceLog``): `clicktracker_record` appends an entry in each batch's
/// transaction (sql/db.sql); here it is sealed, checkpointed and read back. Rows are read raw and
/// their digests computed here, never by a function in the database, so a replaced function
/// cannot vouch for a changed row.
extension PostgresStore: EvidenceLog {
    public func evidenceHead() async throws -> EvidenceHead {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            try await Self.evidenceHead(try await client.query(Self.evidenceHeadQuery, logger: logger))
        }
    }

    /// The last sealed entry's position and chain value.
    private static let evidenceHeadQuery: PostgresQuery =
        "SELECT position, chain FROM evidence_entry WHERE position IS NOT NULL ORDER BY position DESC LIMIT 1"

    private static func evidenceHead(_ rows: PostgresRowSequence) async throws -> EvidenceHead {
        for try await (size, chain) in rows.decode((Int64, String).self) { return EvidenceHead(size: size, chain: chain) }
        return .empty
    }

    public func evidenceEntries(sealed: Bool, after: Int64, limit: Int) async throws -> [EvidenceEntry] {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows =
                sealed
                ? try await client.query(
                    "SELECT id, at, kind, leaves, position, chain FROM evidence_entry WHERE position > \(after) ORDER BY position LIMIT \(limit)",
                    logger: logger
                )
                : try await client.query(
                    """
                    SELECT id, at, kind, leaves, position, chain FROM evidence_entry
                    WHERE position IS NULL AND id > \(after) ORDER BY id LIMIT \(limit)
                    """,
                    logger: logger
                )
            var entries: [EvidenceEntry] = []
            for try await (id, at, kind, leaves, position, chain) in rows.decode((Int64, Int64, String, String, Int64?, String?).self) {
                entries.append(EvidenceEntry(id: id, at: at, kind: kind, leaves: leaves, position: position, chain: chain))
            }
            return entries
        }
    }

    public func sealEvidence(_ entries: [EvidenceEntry], after head: EvidenceHead) async throws -> Bool {
        let (client, logger) = (client, logger)
        let sealed = entries.filter { $0.position != nil && $0.chain != nil }
        let ids = sealed.map(\.id)
        let positions = sealed.compactMap(\.position)
        let chains = sealed.compactMap(\.chain)
        return try await run(.report) {
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    // One sealer at a time; another instance's waits here, then finds the head moved.
                    try await connection.query("SELECT pg_advisory_xact_lock(741201)", logger: logger)
                    guard try await Self.evidenceHead(try await connection.query(Self.evidenceHeadQuery, logger: logger)) == head else {
                        return false
                    }
                    let updated = try await connection.query(
                        """
                        UPDATE evidence_entry e SET position = s.position, chain = s.chain
                        FROM unnest(\(ids)::bigint[], \(positions)::bigint[], \(chains)::text[]) AS s (id, position, chain)
                        WHERE e.id = s.id AND e.position IS NULL
                        RETURNING e.id
                        """,
                        logger: logger
                    )
                    var count = 0
                    for try await _ in updated.decode(Int64.self) { count += 1 }
                    guard count == ids.count else { throw SealLost() }
                    return true
                }
            } catch let error as PostgresTransactionError where error.closureError is SealLost {
                return false
            }
        }
    }

    /// The `INSERT` of the evidence log entry of a removal, as a common table expression of the
    /// statement that removes: the ids of the view rows the expression named `views` returned and
    /// the renders of the acknowledgements among the readings `readings` returned (their
    /// `acknowledged_render`); nothing when there are none.
    static func removalEntry(_ kind: EvidenceEntry.Kind, views: String? = nil, readings: String? = nil) -> String {
        var parts: [String] = []
        if let views { parts.append("(SELECT string_agg('v ' || id || E' -\\n', '' ORDER BY id) FROM \(views))") }
        if let readings {
            parts.append(
                "(SELECT string_agg('a ' || acknowledged_render || E' -\\n', '' ORDER BY acknowledged_render) FROM \(readings) WHERE acknowledged_render IS NOT NULL)"
            )
        }
        return """
            INSERT INTO evidence_entry (at, kind, leaves)
            SELECT floor(extract(epoch FROM now()) * 1000)::bigint, '\(kind.rawValue)', l.leaves
            FROM (SELECT \(parts.map { "coalesce(\($0), '')" }.joined(separator: " || ")) AS leaves) AS l
            WHERE l.leaves <> ''
            """
    }

    /// An entry was sealed by someone else meanwhile; the transaction is rolled back.
    private struct SealLost: Error {}

    public func evidenceCheckpoints() async throws -> [EvidenceCheckpoint] {
        try await checkpoints("SELECT size, head, at, key_id, signature FROM evidence_checkpoint ORDER BY size")
    }

    public func latestEvidenceCheckpoint() async throws -> EvidenceCheckpoint? {
        try await checkpoints("SELECT size, head, at, key_id, signature FROM evidence_checkpoint ORDER BY size DESC LIMIT 1").first
    }

    private func checkpoints(_ sql: String) async throws -> [EvidenceCheckpoint] {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            var checkpoints: [EvidenceCheckpoint] = []
            for try await (size, head, at, keyID, signature) in rows.decode((Int64, String, Int64, String, String).self) {
                checkpoints.append(EvidenceCheckpoint(size: size, head: head, at: at, keyID: keyID, signature: signature))
            }
            return checkpoints
        }
    }

    public func addEvidenceCheckpoint(_ checkpoint: EvidenceCheckpoint) async throws {
        let (client, logger) = (client, logger)
        try await run(.report) {
            let rows = try await client.query(
                """
                INSERT INTO evidence_checkpoint (size, head, at, key_id, signature)
                VALUES (\(checkpoint.size), \(checkpoint.head), \(checkpoint.at), \(checkpoint.keyID), \(checkpoint.signature))
                ON CONFLICT (size) DO NOTHING
                """,
                logger: logger
            )
            for try await _ in rows {}
        }
    }

    public func viewEvidence(after id: Int64, limit: Int) async throws -> [(id: Int64, row: EvidenceRow)] {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                SELECT id, render_id, member, document_id, url, floor(extract(epoch FROM issued_at) * 1000)::bigint,
                       floor(extract(epoch FROM viewed_at) * 1000)::bigint, version, words, active_ms, max_scroll, reached_end,
                       automated, report_seq, floor(extract(epoch FROM reported_at) * 1000)::bigint, finished
                FROM view WHERE id > \(id) ORDER BY id LIMIT \(limit)
                """,
                logger: logger
            )
            var found: [(id: Int64, row: EvidenceRow)] = []
            for try await row in rows {
                let columns = row.makeRandomAccess()
                let id = try columns[0].decode(Int64.self)
                let evidence = EvidenceRow.view(
                    id: id,
                    renderID: try columns[1].decode(String.self),
                    member: try columns[2].decode(String.self),
                    documentID: try columns[3].decode(Int64.self),
                    url: try columns[4].decode(String.self),
                    issuedAt: try columns[5].decode(Int64.self),
                    viewedAt: try columns[6].decode(Int64.self),
                    version: try columns[7].decode(String?.self),
                    words: try columns[8].decode(Int?.self),
                    activeMilliseconds: try columns[9].decode(Int64.self),
                    maximumScroll: try columns[10].decode(Int.self),
                    reachedEnd: try columns[11].decode(Bool.self),
                    automated: try columns[12].decode(Bool.self),
                    reportSequence: try columns[13].decode(Int64.self),
                    reportedAt: try columns[14].decode(Int64.self),
                    finished: try columns[15].decode(Bool.self)
                )
                found.append((id, evidence))
            }
            return found
        }
    }

    public func acknowledgementEvidence(after renderID: String, limit: Int) async throws -> [EvidenceRow] {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                SELECT acknowledged_render, member, document_id, version, floor(extract(epoch FROM acknowledged_at) * 1000)::bigint
                FROM reading WHERE acknowledged_at IS NOT NULL AND acknowledged_render COLLATE "C" > \(renderID)
                ORDER BY acknowledged_render COLLATE "C" LIMIT \(limit)
                """,
                logger: logger
            )
            var found: [EvidenceRow] = []
            for try await (render, member, documentID, version, at) in rows.decode((String, String, Int64, String, Int64).self) {
                found.append(EvidenceRow.acknowledgement(renderID: render, member: member, documentID: documentID, version: version, at: at))
            }
            return found
        }
    }
}
