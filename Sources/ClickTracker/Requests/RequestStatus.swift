import Foundation

/// Where one expected reader stands with a request: at the deadline, and now.
public struct RequestStatus: Sendable, Hashable {
    /// The stages a reader can be at, weakest first.
    public enum Stage: String, Sendable, Hashable, Comparable, CaseIterable {
        case notOpened = "not opened"
        case opened
        case read
        case acknowledged

        private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
        public static func < (lhs: Stage, rhs: Stage) -> Bool { lhs.rank < rhs.rank }
    }

    /// The reader.
    public var person: Person
    /// Their stage at the deadline (over a section: the weakest of its documents).
    public var atDeadline: Stage
    /// Their stage now; above ``atDeadline`` when they caught up after it.
    public var now: Stage
    /// Documents in scope that counted as read by the deadline, and now.
    public var documentsReadAtDeadline: Int
    public var documentsReadNow: Int
    /// Their first and last views of any document in scope, if any.
    public var firstView: Date?
    public var lastView: Date?

    /// `true` when the reader reached a further stage only after the deadline.
    public var isLate: Bool { now > atDeadline }
    /// `true` when what they had done by the deadline counts as having read every document.
    public var hadReadByDeadline: Bool { atDeadline >= .read }

    /// Judges each expected reader from the evidence at the deadline and now.
    /// - Parameters:
    ///   - people: The expected readers.
    ///   - documents: The documents in scope.
    ///   - atDeadline: Evidence up to the deadline.
    ///   - now: Evidence up to now.
    ///   - policy: The policy of the section the request is in.
    /// - Returns: The readers, those who had not read by the deadline first (weakest stage
    ///   first), then by name.
    public static func judge(
        _ people: [Person],
        documents: [DocumentReference],
        atDeadline: [ReaderSummary],
        now: [ReaderSummary],
        policy: ReadingPolicy
    ) -> [RequestStatus] {
        func index(_ readers: [ReaderSummary]) -> [String: [String: ReaderSummary]] {
            Dictionary(grouping: readers, by: \.member).mapValues { Dictionary($0.map { ($0.document.key, $0) }) { first, _ in first } }
        }
        let deadlineIndex = index(atDeadline)
        let nowIndex = index(now)
        let statuses = people.map { person in
            let (deadlineStage, deadlineRead) = stage(deadlineIndex[person.member] ?? [:], documents: documents, policy: policy)
            let (nowStage, nowRead) = stage(nowIndex[person.member] ?? [:], documents: documents, policy: policy)
            let views = nowIndex[person.member]?.values
            let (firstView, lastView) = (views?.compactMap(\.firstView).min(), views?.compactMap(\.lastView).max())
            return RequestStatus(
                person: person,
                atDeadline: deadlineStage,
                now: max(nowStage, deadlineStage),
                documentsReadAtDeadline: deadlineRead,
                documentsReadNow: max(nowRead, deadlineRead),
                firstView: firstView,
                lastView: lastView
            )
        }
        return statuses.sorted { ($0.atDeadline, $0.person.label, $0.person.member) < ($1.atDeadline, $1.person.label, $1.person.member) }
    }

    /// The weakest stage over the documents, and how many counted as read.
    private static func stage(_ readers: [String: ReaderSummary], documents: [DocumentReference], policy: ReadingPolicy) -> (Stage, Int) {
        guard !documents.isEmpty else { return (.notOpened, 0) }
        var weakest = Stage.acknowledged
        var read = 0
        for document in documents {
            guard let summary = readers[document.key] else {
                weakest = .notOpened
                continue
            }
            let verdict = summary.verdict(policy)
            let stage: Stage =
                !verdict.counts ? .opened : verdict.level == .acknowledged ? .acknowledged : .read
            if verdict.counts { read += 1 }
            weakest = min(weakest, stage)
        }
        return (weakest, read)
    }
}
