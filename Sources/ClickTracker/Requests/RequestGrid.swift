import Foundation

/// A reading request's status as one grid: expected readers × the request's documents, each cell
/// the stage reached. Every figure shown about a request — the headline counts, the chart, each
/// reader's "read 2 of 3", the downloads — is derived from these cells, so none can disagree.
///
/// Before the deadline the grid shows where readers stand now; once it has passed, where they
/// stood at the deadline (never below the status frozen then) and what they have done since.
public struct RequestGrid: Sendable {
    /// A document of the request.
    public struct Column: Sendable, Hashable {
        /// The path the request names.
        public var path: String
        /// The document recorded there, `nil` when nobody has opened it yet.
        public var document: DocumentReference?
        /// The policy it is judged by.
        public var policy: ReadingPolicy

        /// The document's title, or its path when it has none.
        public var label: String { document?.title ?? path }
    }

    /// One reader's stage with one document.
    public struct Cell: Sendable, Hashable {
        /// The stage at the deadline once it has passed, else now.
        public var stage: ReadingStage
        /// When ``stage`` was reached.
        public var reachedAt: Date?
        /// The stage now; never below ``stage``.
        public var now: ReadingStage
        /// When ``now`` was reached.
        public var nowReachedAt: Date?
        /// When the reader first opened the document.
        public var openedAt: Date?
        /// The evidence, when the reader opened the document.
        public var evidence: ReaderSummary?

        /// `true` when the reader got further only after the deadline.
        public var isLate: Bool { now > stage }
    }

    /// One expected reader: their cells, in the order of the columns.
    public struct Row: Sendable, Hashable {
        public var person: Person
        public var cells: [Cell]
        /// Over all documents: read (or acknowledged) when every one is, opened when any is.
        public var stage: ReadingStage
        /// The same now.
        public var now: ReadingStage
        /// Documents read (or acknowledged) at the deadline once it has passed, else now.
        public var documentsRead: Int
        /// Documents read now.
        public var documentsReadNow: Int
        /// When the reader first opened any of the documents.
        public var openedAt: Date?
        /// When the reader had read all of them: by the deadline when they had, else later, or `nil`.
        public var completedAt: Date?

        /// `true` when the reader finished reading only after the deadline.
        public var isLate: Bool { now >= .read && stage < .read }
    }

    /// Readers by their stage with the whole request.
    public struct Counts: Sendable, Hashable {
        /// Readers expected.
        public var expected: Int
        /// Had read every document (by the deadline once it passed).
        public var read: Int
        /// Had opened some but not read them all.
        public var opened: Int
        /// Had opened none.
        public var notOpened: Int
        /// Read everything only after the deadline.
        public var late: Int

        /// Creates counts.
        public init(expected: Int, read: Int, opened: Int, notOpened: Int, late: Int) {
            self.expected = expected
            self.read = read
            self.opened = opened
            self.notOpened = notOpened
            self.late = late
        }
    }

    /// The request.
    public let request: ReadingRequest
    /// The documents, in the request's order.
    public let columns: [Column]
    /// The expected readers, those furthest behind first, then by name.
    public let rows: [Row]
    /// Whether the deadline has passed: the stages are those at the deadline.
    public let isPastDeadline: Bool
    /// The counts of ``rows``.
    public let counts: Counts

    /// Builds the grid.
    /// - Parameters:
    ///   - request: The request.
    ///   - people: The expected readers.
    ///   - readings: The request's documents with the readers' evidence, in the request's order.
    ///   - policies: The sections' reading policies.
    ///   - frozen: The cells frozen at the deadline, if any; a stage is never shown below them.
    ///   - now: The present.
    public init(
        request: ReadingRequest,
        people: [Person],
        readings: [DocumentReadings],
        policies: SectionPolicies,
        frozen: [FrozenCell] = [],
        now: Date = Date()
    ) {
        let isPastDeadline = request.deadline <= now
        let columns = readings.map {
            Column(path: $0.path, document: $0.document, policy: policies.policy(forDocument: $0.document?.path ?? $0.path))
        }
        let evidence = readings.map { document in Dictionary(document.readers.map { ($0.member, $0) }) { first, _ in first } }
        var frozenCells: [String: [String: FrozenCell]] = [:]
        for cell in frozen { frozenCells[cell.member, default: [:]][cell.path] = cell }
        let rows = people.map { person in
            let cells = columns.indices.map { index in
                Self.cell(
                    evidence[index][person.member],
                    frozen: frozenCells[person.member]?[columns[index].path],
                    policy: columns[index].policy,
                    deadline: isPastDeadline ? request.deadline : nil
                )
            }
            return Self.row(person, cells: cells)
        }
        self.request = request
        self.columns = columns
        self.isPastDeadline = isPastDeadline
        self.rows = rows.sorted {
            ($0.stage, $0.documentsRead, $0.person.label, $0.person.member) < ($1.stage, $1.documentsRead, $1.person.label, $1.person.member)
        }
        self.counts = Counts(
            expected: rows.count,
            read: rows.count { $0.stage >= .read },
            opened: rows.count { $0.stage == .opened },
            notOpened: rows.count { $0.stage == .notOpened },
            late: rows.count(where: \.isLate)
        )
    }

    /// A cell: the stage at the deadline (when given; never below the frozen one) and now.
    private static func cell(_ summary: ReaderSummary?, frozen: FrozenCell?, policy: ReadingPolicy, deadline: Date?) -> Cell {
        let current = summary?.stage(at: nil, policy: policy) ?? (.notOpened, nil)
        var (stage, reachedAt) = deadline.map { summary?.stage(at: $0, policy: policy) ?? (.notOpened, nil) } ?? current
        if let frozen, frozen.stage > stage { (stage, reachedAt) = (frozen.stage, frozen.reachedAt) }
        let (now, nowReachedAt) = current.stage > stage ? current : (stage, reachedAt)
        let openedAt = summary?.firstView ?? (stage >= .opened ? reachedAt : nil)
        return Cell(stage: stage, reachedAt: reachedAt, now: now, nowReachedAt: nowReachedAt, openedAt: openedAt, evidence: summary)
    }

    /// A reader's row from their cells.
    private static func row(_ person: Person, cells: [Cell]) -> Row {
        func overall(_ stages: [ReadingStage]) -> ReadingStage {
            guard let weakest = stages.min() else { return .notOpened }
            if weakest >= .read { return weakest }
            return stages.contains { $0 >= .opened } ? .opened : .notOpened
        }
        let stage = overall(cells.map(\.stage))
        let now = overall(cells.map(\.now))
        let completedAt: Date? =
            stage >= .read
            ? cells.compactMap(\.reachedAt).max()
            : now >= .read ? cells.compactMap { $0.stage >= .read ? $0.reachedAt : $0.nowReachedAt }.max() : nil
        return Row(
            person: person,
            cells: cells,
            stage: stage,
            now: now,
            documentsRead: cells.count { $0.stage >= .read },
            documentsReadNow: cells.count { $0.now >= .read },
            openedAt: cells.compactMap(\.openedAt).min(),
            completedAt: completedAt
        )
    }

    /// The cells to freeze at the deadline: every reader's stage with every document then.
    public var cellsToFreeze: [FrozenCell] {
        rows.flatMap { row in
            zip(columns, row.cells).map { column, cell in
                FrozenCell(member: row.person.member, path: column.path, stage: cell.stage, reachedAt: cell.reachedAt)
            }
        }
    }
}
