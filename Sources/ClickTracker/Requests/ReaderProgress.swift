import Foundation

/// One expected reader's progress through a reading request: their cells of the request's grid
/// summed up. The store keeps it per request and reader as readings change, so a request's page
/// costs its readers, not their readings.
public struct ReaderProgress: Sendable, Hashable {
    /// Over all documents: read (or acknowledged) when every one is, opened when any is; at the
    /// deadline once it has passed, else now.
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

    /// Creates progress as kept by a store.
    public init(
        stage: ReadingStage,
        now: ReadingStage,
        documentsRead: Int,
        documentsReadNow: Int,
        openedAt: Date?,
        completedAt: Date?
    ) {
        self.stage = stage
        self.now = now
        self.documentsRead = documentsRead
        self.documentsReadNow = documentsReadNow
        self.openedAt = openedAt
        self.completedAt = completedAt
    }

    /// A reader who has opened none of the documents.
    public static let notOpened = ReaderProgress(
        stage: .notOpened,
        now: .notOpened,
        documentsRead: 0,
        documentsReadNow: 0,
        openedAt: nil,
        completedAt: nil
    )

    /// Sums up a reader's cells, one per document of the request.
    public init(cells: [RequestGrid.Cell]) {
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
        self.init(
            stage: stage,
            now: now,
            documentsRead: cells.count { $0.stage >= .read },
            documentsReadNow: cells.count { $0.now >= .read },
            openedAt: cells.compactMap(\.openedAt).min(),
            completedAt: completedAt
        )
    }

    /// `true` when the reader finished reading only after the deadline.
    public var isLate: Bool { now >= .read && stage < .read }
}
