/// How far a person got with a document, and the evidence it rests on.
public struct ReadingVerdict: Sendable, Hashable {
    /// The levels, each implying the ones before.
    public enum Level: String, Sendable, Hashable, Comparable, CaseIterable {
        /// The page was rendered and shown.
        case opened
        /// Enough active time, or the end reached after the minimum active time.
        case read
        /// The reader confirmed reading it.
        case acknowledged

        private var rank: Int {
            switch self {
            case .opened: 0
            case .read: 1
            case .acknowledged: 2
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
    }

    /// The level reached with the version the verdict rests on.
    public var level: Level
    /// The evidence: the current version's if the person saw it, else the newest version they saw.
    public var evidence: ReaderSummary.VersionEvidence
    /// `true` when that evidence is for an earlier version than the document's current one.
    public var isEarlierVersion: Bool
    /// The active time the document needed under the policy, in milliseconds.
    public var requiredMilliseconds: Int
    /// Whether this counts as having read the current document under the section's policy:
    /// read or acknowledged, and (when the section requires re-reading) of the current version.
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
        let minimum = policy.minimumSeconds * 1000
        let active = evidence.activeMilliseconds
        let level: Level =
            if evidence.acknowledgedAt != nil {
                .acknowledged
            } else if active >= required || (evidence.reachedEnd && active >= minimum) {
                .read
            } else {
                .opened
            }
        self.level = level
        self.evidence = evidence
        self.isEarlierVersion = current == nil && summary.currentVersion != nil
        self.requiredMilliseconds = required
        self.counts = level >= .read && !(isEarlierVersion && policy.requiresRereading)
    }

    /// The verdict as reports show it, e.g. "read" or "read an earlier version".
    public var label: String {
        isEarlierVersion ? "\(level.rawValue) an earlier version" : level.rawValue
    }
}
