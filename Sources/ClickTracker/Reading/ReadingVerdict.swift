/// How far a person got with a document, and the evidence it rests on.
public struct ReadingVerdict: Sendable, Hashable {
    /// The levels, from the weakest.
    public enum Level: String, Sendable, Hashable, CaseIterable {
        /// The page was rendered and shown.
        case opened
        /// Enough active time, or the end reached after the minimum active time.
        case read
        /// The reader confirmed reading it (whether the time was spent too is ``ReadingVerdict/spentReadingTime``).
        case acknowledged
    }

    /// The level reached with the version the verdict rests on.
    public var level: Level
    /// The evidence: the current version's if the person saw it, else the newest version they saw.
    public var evidence: ReaderSummary.VersionEvidence
    /// `true` when that evidence is for an earlier version than the document's current one.
    public var isEarlierVersion: Bool
    /// The active time the document needed under the policy, in milliseconds.
    public var requiredMilliseconds: Int
    /// Whether the evidence meets the policy's reading time (or the end after the minimum time).
    public var spentReadingTime: Bool
    /// Whether this counts as having read the document under the section's policy: the reading
    /// time spent, confirmed when the section asks for it, and of the current version when the
    /// section requires re-reading.
    public var counts: Bool

    /// Judges a summary under a policy.
    public init(_ summary: ReaderSummary, policy: ReadingPolicy) {
        let current = summary.versions.first { $0.version == summary.currentVersion }
        let evidence =
            current ?? summary.versions.first
            ?? .init(
                version: nil,
                words: nil,
                views: 0,
                firstView: .distantPast,
                lastView: .distantPast,
                activeMilliseconds: 0,
                maximumScroll: 0,
                reachedEnd: false,
                automated: false,
                acknowledgedAt: nil
            )
        let required = policy.requiredMilliseconds(words: evidence.words)
        let active = evidence.activeMilliseconds
        let spent = active >= required || (evidence.reachedEnd && active >= policy.minimumSeconds * 1000)
        let acknowledged = evidence.acknowledgedAt != nil
        self.level = acknowledged ? .acknowledged : spent ? .read : .opened
        self.evidence = evidence
        self.isEarlierVersion = current == nil && summary.currentVersion != nil
        self.requiredMilliseconds = required
        self.spentReadingTime = spent
        self.counts = spent && (acknowledged || !policy.requiresAcknowledgement) && !(isEarlierVersion && policy.requiresRereading)
    }

    /// The verdict as reports show it, e.g. "read", "read an earlier version" or
    /// "acknowledged (not read)".
    public var label: String {
        var label = level.rawValue
        if isEarlierVersion { label += " an earlier version" }
        if level == .acknowledged, !spentReadingTime { label += " (not read)" }
        return label
    }
}
