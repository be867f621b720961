/// A store's evidence log: entries appended in the transaction of each batch (and of retention
/// and purges), sealed into one chain and checkpointed by ``EvidenceSealer``, read back by
/// ``EvidenceVerifier``. Several instances may share one log: sealing is first come, first served.
public protocol EvidenceLog: Sendable {
    /// The sealed end of the log.
    func evidenceHead() async throws -> EvidenceHead

    /// Up to `limit` entries: sealed ones after position `after`, in chain order, or (with
    /// `sealed` false) entries not sealed yet with an id above `after`, in the order written.
    func evidenceEntries(sealed: Bool, after: Int64, limit: Int) async throws -> [EvidenceEntry]

    /// Seals entries (their positions and chain values set) when the log's sealed end is still
    /// `head` and none of them is sealed; `false` when another instance sealed first (nothing
    /// changes then).
    func sealEvidence(_ entries: [EvidenceEntry], after head: EvidenceHead) async throws -> Bool

    /// All checkpoints, smallest first.
    func evidenceCheckpoints() async throws -> [EvidenceCheckpoint]

    /// The checkpoint of the most entries, `nil` when none was signed yet.
    func latestEvidenceCheckpoint() async throws -> EvidenceCheckpoint?

    /// Keeps a checkpoint, unless one of that size is kept already (another instance's).
    func addEvidenceCheckpoint(_ checkpoint: EvidenceCheckpoint) async throws

    /// Up to `limit` view rows with an id above `after`, by id, as evidence computed from their
    /// columns as stored now.
    func viewEvidence(after id: Int64, limit: Int) async throws -> [(id: Int64, row: EvidenceRow)]

    /// Up to `limit` acknowledgements made from renders whose id sorts after `after`, by render
    /// id, as evidence computed from their columns as stored now.
    func acknowledgementEvidence(after renderID: String, limit: Int) async throws -> [EvidenceRow]
}
