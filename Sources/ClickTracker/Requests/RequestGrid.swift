import Foundation

/// A reading request's status as one grid: expected readers × the request's documents, each cell
/// the stage reached. Every figure shown about a request — the headline counts, the chart, each
/// reader's "read 2 of 3", the downloads — is derived from these cells (summed up per reader as
/// ``ReaderProgress``, which the store keeps), so none can disagree. The grid holds the readers'
/// progress; a page loads only the cells it shows (``cells(of:columns:readings:frozen:deadline:)``).
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

    /// One expected reader and their progress over all documents.
    public struct Row: Sendable, Hashable {
        public var person: Person
        public var progress: ReaderProgress
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

    /// Builds the grid from each reader's progress, kept by the store.
    /// - Parameters:
    ///   - request: The request.
    ///   - columns: The request's documents (see ``columns(_:policies:)``).
    ///   - people: The expected readers.
    ///   - progress: Each reader's progress; a reader missing here has opened nothing.
    ///   - now: The present.
    public init(request: ReadingRequest, columns: [Column], people: [Person], progress: [String: ReaderProgress], now: Date = Date()) {
        let rows = people.map { Row(person: $0, progress: progress[$0.member] ?? .notOpened) }
        self.request = request
        self.columns = columns
        self.isPastDeadline = request.deadline <= now
        // Sorted by key and position, so that the rows themselves move once.
        let keys = rows.map { ($0.progress.stage, $0.progress.documentsRead, $0.person.label, $0.person.member) }
        self.rows = rows.indices.sorted { keys[$0] < keys[$1] }.map { rows[$0] }
        self.counts = Counts(
            expected: rows.count,
            read: rows.count { $0.progress.stage >= .read },
            opened: rows.count { $0.progress.stage == .opened },
            notOpened: rows.count { $0.progress.stage == .notOpened },
            late: rows.count(where: \.progress.isLate)
        )
    }

    /// ``rows`` in another order; readers who tie are listed by name.
    /// - Parameters:
    ///   - order: What to sort by.
    ///   - descending: `true` for the reverse order (furthest ahead, most read, or Z to A first).
    public func rows(by order: RequestOrder, descending: Bool = false) -> [Row] {
        func before(_ a: Row, _ b: Row) -> Bool {
            switch order {
            case .status: (a.progress.stage, a.progress.documentsRead) < (b.progress.stage, b.progress.documentsRead)
            case .name: (a.person.label, a.person.member) < (b.person.label, b.person.member)
            case .read: a.progress.documentsRead < b.progress.documentsRead
            }
        }
        return rows.sorted { a, b in
            if before(a, b) != before(b, a) { return descending ? before(b, a) : before(a, b) }
            return (a.person.label, a.person.member) < (b.person.label, b.person.member)
        }
    }

    /// The columns of a request's documents, from their readings (in the request's order).
    public static func columns(_ readings: [DocumentReadings], policies: SectionPolicies) -> [Column] {
        readings.map { Column(path: $0.path, document: $0.document, policy: policies.policy(forDocument: $0.document?.path ?? $0.path)) }
    }

    /// The cells of `members` with some of a request's documents.
    /// - Parameters:
    ///   - members: The readers.
    ///   - columns: The documents, matching `readings` one to one.
    ///   - readings: The readers' evidence per document.
    ///   - frozen: The cells frozen at the deadline, if any; a stage is never shown below them.
    ///   - deadline: The deadline once it has passed (the cells' ``Cell/stage`` is then the stage
    ///     at the deadline), `nil` before.
    /// - Returns: Per member, a cell per column.
    public static func cells(
        of members: [String],
        columns: [Column],
        readings: [DocumentReadings],
        frozen: [FrozenCell],
        deadline: Date?
    ) -> [String: [Cell]] {
        let evidence = readings.map { document in Dictionary(document.readers.map { ($0.member, $0) }) { first, _ in first } }
        var frozenCells: [String: [String: FrozenCell]] = [:]
        for cell in frozen { frozenCells[cell.member, default: [:]][cell.path] = cell }
        var cells: [String: [Cell]] = [:]
        for member in members {
            cells[member] = columns.indices.map { index in
                cell(
                    index < evidence.count ? evidence[index][member] : nil,
                    frozen: frozenCells[member]?[columns[index].path],
                    policy: columns[index].policy,
                    deadline: deadline
                )
            }
        }
        return cells
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

    /// The cells to freeze at the deadline: each reader's stage with each document then.
    public static func frozenCells(_ cells: [String: [Cell]], columns: [Column]) -> [FrozenCell] {
        cells.flatMap { member, cells in
            zip(columns, cells).map { column, cell in
                FrozenCell(member: member, path: column.path, stage: cell.stage, reachedAt: cell.reachedAt)
            }
        }
    }
}
