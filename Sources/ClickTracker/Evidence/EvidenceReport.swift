import Foundation

/// What ``EvidenceVerifier`` found: how much it checked, the latest checkpoint, and every
/// mismatch, the earliest entry's first.
public struct EvidenceReport: Sendable {
    /// An entry as named in a report.
    public struct EntryName: Sendable, Hashable, Comparable {
        /// Its place in the chain, `nil` while it waits to be sealed.
        public var position: Int64?
        /// Its row id.
        public var id: Int64
        /// When it was written, in milliseconds since 1970.
        public var at: Int64
        /// What wrote it.
        public var kind: String

        /// Sealed entries by position, then waiting ones by id.
        public static func < (lhs: EntryName, rhs: EntryName) -> Bool {
            (lhs.position ?? .max, lhs.id) < (rhs.position ?? .max, rhs.id)
        }

        /// "entry 12 (a record of 2026-12-02T08:00:01Z)".
        public var description: String {
            let time = Date(timeIntervalSince1970: Double(at) / 1000).formatted(.iso8601)
            let place = position.map { "entry \($0)" } ?? "entry #\(id), not sealed yet,"
            return "\(place) (\(kind), written \(time))"
        }
    }

    /// One mismatch.
    public struct Problem: Sendable, Hashable, Comparable {
        /// The entry that does not match, `nil` when none is to blame (a row no entry names, a
        /// checkpoint).
        public var entry: EntryName?
        /// The rows concerned.
        public var rows: [String]
        /// What is wrong, for people.
        public var reason: String

        /// Problems of earlier entries first; those no entry is to blame for last.
        public static func < (lhs: Problem, rhs: Problem) -> Bool {
            switch (lhs.entry, rhs.entry) {
            case (let l?, let r?): l < r || (l == r && lhs.reason < rhs.reason)
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): lhs.reason < rhs.reason
            }
        }
    }

    /// Entries in the chain.
    public var sealedEntries = 0
    /// Entries written but not sealed yet (the server seals them within seconds).
    public var waitingEntries = 0
    /// View rows compared with the log.
    public var viewsChecked = 0
    /// Acknowledgements compared with the log.
    public var acknowledgementsChecked = 0
    /// The latest checkpoint correctly signed, if any.
    public var latestCheckpoint: EvidenceCheckpoint?
    /// Every mismatch, sorted.
    public var problems: [Problem] = []
    /// The rows the first entry that does not match covers (see ``firstBadEntry``).
    public var firstBadEntryRows: [String] = []

    /// Whether everything matched.
    public var isIntact: Bool { problems.isEmpty }

    /// The first entry that does not match, if an entry is to blame.
    public var firstBadEntry: EntryName? { problems.first?.entry }
}
