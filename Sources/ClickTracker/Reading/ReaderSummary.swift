import Foundation

/// One person's reads of one document, with the evidence for each version they read.
public struct ReaderSummary: Sendable, Hashable {
    /// The evidence for one version of the document.
    public struct VersionEvidence: Sendable, Hashable {
        /// The version's id; `nil` when unknown.
        public var version: String?
        /// The version's word count, when known.
        public var words: Int?
        /// Views of this version.
        public var views: Int
        /// First view of this version.
        public var firstView: Date
        /// Last view of this version.
        public var lastView: Date
        /// Active time over all views of this version (clamped by the server), in milliseconds.
        public var activeMilliseconds: Int
        /// The furthest scrolled, in percent.
        public var maximumScroll: Int
        /// Whether the end of the document was reached.
        public var reachedEnd: Bool
        /// Whether any view showed signs of automation.
        public var automated: Bool
        /// When the reader confirmed reading this version, if they did.
        public var acknowledgedAt: Date?
        /// When the reading time was first met under the section's policy (the active time, or
        /// the end after the minimum time), kept by the store as reports arrive; `nil` until then.
        public var readAt: Date?

        /// Creates the evidence.
        public init(
            version: String?,
            words: Int?,
            views: Int,
            firstView: Date,
            lastView: Date,
            activeMilliseconds: Int,
            maximumScroll: Int,
            reachedEnd: Bool,
            automated: Bool,
            acknowledgedAt: Date?,
            readAt: Date? = nil
        ) {
            self.version = version
            self.words = words
            self.views = views
            self.firstView = firstView
            self.lastView = lastView
            self.activeMilliseconds = activeMilliseconds
            self.maximumScroll = maximumScroll
            self.reachedEnd = reachedEnd
            self.automated = automated
            self.acknowledgedAt = acknowledgedAt
            self.readAt = readAt
        }
    }

    /// The reader.
    public var member: String
    /// The document, with its current path and title.
    public var document: DocumentReference
    /// The document's current version (its newest render's), when known.
    public var currentVersion: String?
    /// The evidence per version read, newest last view first.
    public var versions: [VersionEvidence]

    /// Creates a summary; `versions` are ordered newest first.
    public init(member: String, document: DocumentReference, currentVersion: String?, versions: [VersionEvidence]) {
        self.member = member
        self.document = document
        self.currentVersion = currentVersion
        self.versions = versions.sorted { ($0.lastView, $0.version ?? "") > ($1.lastView, $1.version ?? "") }
    }

    /// All views, of every version.
    public var views: Int { versions.reduce(0) { $0 + $1.views } }
    /// The first view of any version.
    public var firstView: Date? { versions.map(\.firstView).min() }
    /// The last view of any version.
    public var lastView: Date? { versions.map(\.lastView).max() }

    /// The verdict under a section's policy.
    public func verdict(_ policy: ReadingPolicy) -> ReadingVerdict {
        ReadingVerdict(self, policy: policy)
    }

    /// The stage reached by `time` (by now when `nil`) and when it was reached: a comparison of
    /// the stored stage times, judged like ``ReadingVerdict`` (the current version's evidence if
    /// it was seen by then, else the newest; the confirmation when the policy asks for it; an
    /// earlier version does not count when the policy requires re-reading).
    public func stage(at time: Date?, policy: ReadingPolicy) -> (stage: ReadingStage, since: Date?) {
        let limit = time ?? .distantFuture
        // The versions seen by then, newest first: the current one's evidence, else the newest's.
        var evidence: VersionEvidence?
        var opened = Date.distantFuture
        for version in versions where version.firstView <= limit {
            if evidence == nil || (version.version == currentVersion && evidence?.version != currentVersion) { evidence = version }
            opened = min(opened, version.firstView)
        }
        guard let evidence else { return (.notOpened, nil) }
        let isEarlier = currentVersion != nil && evidence.version != currentVersion
        let readAt = evidence.readAt.flatMap { $0 <= limit ? $0 : nil }
        let acknowledgedAt = evidence.acknowledgedAt.flatMap { $0 <= limit ? $0 : nil }
        guard let readAt, acknowledgedAt != nil || !policy.requiresAcknowledgement, !(isEarlier && policy.requiresRereading) else {
            return (.opened, opened)
        }
        guard let acknowledgedAt else { return (.read, readAt) }
        return (.acknowledged, max(readAt, acknowledgedAt))
    }
}

/// What to read from the readers report: a section, an ordering and one page.
public typealias ReadersQuery = ReportQuery<ReadersOrder>

/// The columns the readers report sorts by; member, document path and id break ties.
public enum ReadersOrder: String, ReportOrder {
    case member
    case document
    case views
    case firstView = "first"
    case lastView = "last"

    public static var first: Self { .member }
    public static var sqlTieBreakers: [String] { ["member", "path", "document_id"] }

    /// Over result columns named `member`, `path`, `views`, `first_view` and `last_view`.
    public var sqlColumn: String {
        switch self {
        case .member: "member"
        case .document: "path"
        case .views: "views"
        case .firstView: "first_view"
        case .lastView: "last_view"
        }
    }
}

/// One page of the readers report and the number of rows in all pages.
public struct ReadersPage: Sendable, Hashable {
    /// The rows of this page.
    public var readers: [ReaderSummary]
    /// Rows (person and document) in the whole report.
    public var total: Int
    /// The key of the last row, to read on after it (``ReportQuery/after``); `nil` when empty.
    public var next: [ReportKey]?

    /// Creates a page.
    public init(readers: [ReaderSummary], total: Int, next: [ReportKey]? = nil) {
        self.readers = readers
        self.total = total
        self.next = next
    }
}
