import Foundation

/// Seals the entries waiting in an evidence log into its chain and signs a checkpoint of the new
/// head: at once when asked (a receipt rests on it), else at most every ``checkpointInterval``.
/// Any instance may seal; one that loses a race finds the entries sealed and moves on.
public struct EvidenceSealer: Sendable {
    /// The log to seal.
    public let log: any EvidenceLog
    /// The key checkpoints are signed with.
    public let key: EvidenceSigningKey
    /// The least time between two checkpoints, unless one is asked for.
    public var checkpointInterval: TimeInterval

    /// Entries sealed in one transaction.
    static let entriesPerSeal = 500

    /// Creates a sealer.
    public init(log: any EvidenceLog, key: EvidenceSigningKey, checkpointInterval: TimeInterval = 50) {
        self.log = log
        self.key = key
        self.checkpointInterval = checkpointInterval
    }

    /// Seals every entry waiting, then signs a checkpoint when the head moved past the latest one
    /// and `force` is set or the latest is at least ``checkpointInterval`` old (with `force`, one of
    /// an empty log too, so a receipt can show that nothing was recorded).
    /// - Returns: The latest checkpoint afterwards, `nil` when none was ever signed.
    @discardableResult
    public func seal(now: Date = Date(), force: Bool = false) async throws -> EvidenceCheckpoint? {
        var head = try await sealWaiting()
        var latest = try await log.latestEvidenceCheckpoint()
        let due = latest.map { force || now.timeIntervalSince($0.date) >= checkpointInterval } ?? true
        if head.size > (latest?.size ?? 0) || (force && latest == nil), due {
            head = try await log.evidenceHead()
            try await log.addEvidenceCheckpoint(EvidenceCheckpoint.sign(head, at: now, with: key))
            latest = try await log.latestEvidenceCheckpoint()
        }
        return latest
    }

    /// Chains the waiting entries in the order written; returns the sealed head.
    private func sealWaiting() async throws -> EvidenceHead {
        var lost = 0
        while true {
            let head = try await log.evidenceHead()
            let waiting = try await log.evidenceEntries(sealed: false, after: 0, limit: Self.entriesPerSeal)
            guard !waiting.isEmpty else { return head }
            var chain = head.chain
            var position = head.size
            let sealed = waiting.map { entry in
                position += 1
                chain = entry.chainValue(after: chain, position: position)
                var sealed = entry
                sealed.position = position
                sealed.chain = chain
                return sealed
            }
            if try await log.sealEvidence(sealed, after: head) {
                lost = 0
            } else {
                // Another instance sealed meanwhile: read the log again (a few times at most).
                lost += 1
                if lost >= 5 { return try await log.evidenceHead() }
            }
        }
    }
}
