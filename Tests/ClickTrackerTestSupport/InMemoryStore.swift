import ClickTracker
import Foundation

/// A store in memory, for unit tests of the code around storage. The real stores are proven
/// by their own tests against real databases.
public actor InMemoryStore: ClickStorage {
    /// Every batch `record(_:)` received, in order.
    public private(set) var batches: [[ViewEvent]] = []
    /// When set, `record(_:)` throws this error and records nothing.
    public var failure: (any Error)?
    private var renderIDs: Set<String> = []
    private var progress: [String: RenderProgress] = [:]
    private var acknowledged: Set<[String]> = []
    private var sections: [SectionPath: ReadingPolicy] = [:]
    private var ignored: Set<SectionPath> = []
    private var people: [String: Person] = [:]
    private var groupMembers: [String: Set<String>] = [:]
    private var requests: [ReadingRequest] = []
    private var frozen: [Int64: [FrozenCell]] = [:]
    private var kept: [Int64: RequestProgress] = [:]
    private var tokens: [APIToken] = []
    private var audit: [AuditEntry] = []
    private var endedSessions: Set<String> = []

    public init() {}

    /// Makes the next calls to `record(_:)` fail (or succeed again with `nil`).
    public func setFailure(_ error: (any Error)?) { failure = error }

    /// All events recorded, deduplicated by render id.
    public var events: [ViewEvent] { batches.flatMap { $0 } }

    public func record(_ events: [ViewEvent]) async throws -> [RecordOutcome] {
        if let failure { throw failure }
        var outcomes: [RecordOutcome] = []
        let new = events.filter { $0.kind == .view && renderIDs.insert($0.renderID).inserted }
        for event in new {
            progress[event.renderID] = RenderProgress(issuedAt: event.issuedAt, reportedAt: event.viewedAt)
        }
        var newIDs = Set(new.map(\.renderID))
        for event in events {
            switch event.kind {
            case .view:
                outcomes.append(newIDs.remove(event.renderID) != nil ? .recorded : .unchanged)
            case .report, .end:
                guard var render = progress[event.renderID] else {
                    outcomes.append(.unknownRender)
                    continue
                }
                outcomes.append(render.apply(event.attention ?? .none, final: event.kind == .end, receivedAt: event.viewedAt).outcome)
                progress[event.renderID] = render
            case .acknowledgement:
                guard progress[event.renderID] != nil else {
                    outcomes.append(.unknownRender)
                    continue
                }
                let inserted = acknowledged.insert([event.member, event.document.key, event.version?.id ?? ""]).inserted
                outcomes.append(inserted ? .recorded : .unchanged)
            }
        }
        batches.append(new)
        return outcomes
    }

    /// Readers, one version each, without evidence: enough for code around storage.
    public func readers(_ query: ReadersQuery) async throws -> ReadersPage {
        let inSection = events.filter { event in
            (try? SectionPath(event.document.path)).map(query.section.contains) ?? false
        }
        let grouped = Dictionary(grouping: inSection) { [$0.member, $0.document.key] }
        let readers = grouped.values.map { views in
            let evidence = ReaderSummary.VersionEvidence(
                version: nil,
                words: nil,
                views: views.count,
                firstView: views.map(\.viewedAt).min()!,
                lastView: views.map(\.viewedAt).max()!,
                activeMilliseconds: views.compactMap { progress[$0.renderID]?.activeMilliseconds }.reduce(0, +),
                maximumScroll: 0,
                reachedEnd: false,
                automated: false,
                acknowledgedAt: nil
            )
            return ReaderSummary(member: views[0].member, document: views[0].document, currentVersion: nil, versions: [evidence])
        }
        let sorted = readers.sorted { ($0.member, $0.document.path) < ($1.member, $1.document.path) }
        return ReadersPage(readers: Array(sorted.dropFirst(query.offset).prefix(query.limit)), total: sorted.count)
    }

    public func accessLog(_ query: AccessLogQuery) async throws -> AccessLogPage {
        let inSection = events.filter { event in
            (try? SectionPath(event.document.path)).map(query.section.contains) ?? false
        }
        let grouped = Dictionary(grouping: inSection) { [$0.member, $0.url] }
        let entries = grouped.values.map { views in
            AccessLogEntry(
                member: views[0].member,
                url: views[0].url,
                title: views.compactMap(\.document.title).last,
                count: views.count,
                firstAccess: views.map(\.viewedAt).min()!,
                lastAccess: views.map(\.viewedAt).max()!
            )
        }
        let sorted = entries.sorted { lhs, rhs in
            let ascending: Bool =
                switch query.order {
                case .member: (lhs.member, lhs.url) < (rhs.member, rhs.url)
                case .url: (lhs.url, lhs.member) < (rhs.url, rhs.member)
                case .count: (lhs.count, lhs.member, lhs.url) < (rhs.count, rhs.member, rhs.url)
                case .firstAccess: (lhs.firstAccess, lhs.member, lhs.url) < (rhs.firstAccess, rhs.member, rhs.url)
                case .lastAccess: (lhs.lastAccess, lhs.member, lhs.url) < (rhs.lastAccess, rhs.member, rhs.url)
                }
            return query.descending ? !ascending : ascending
        }
        return AccessLogPage(entries: Array(sorted.dropFirst(query.offset).prefix(query.limit)), total: sorted.count)
    }

    public func trackedSections() async throws -> [TrackedSection] {
        sections.keys.sorted().map { TrackedSection(path: $0, policy: sections[$0]!) }
    }

    public func setTracked(_ section: SectionPath, _ tracked: Bool) async throws {
        if tracked { sections[section] = sections[section] ?? .standard } else { sections[section] = nil }
    }

    public func ignoredPaths() async throws -> [SectionPath] {
        ignored.sorted()
    }

    public func setIgnored(_ path: SectionPath, _ ignored: Bool) async throws {
        if ignored { self.ignored.insert(path) } else { self.ignored.remove(path) }
    }

    public func setPolicy(_ policy: ReadingPolicy, for section: SectionPath) async throws {
        if sections[section] != nil { sections[section] = policy }
    }

    public func people(_ members: [String]) async throws -> [String: Person] {
        people.filter { members.contains($0.key) }
    }

    public func groups() async throws -> [MemberGroup] {
        groupMembers.keys.sorted().map { MemberGroup(name: $0, size: groupMembers[$0]!.count) }
    }

    public func members(ofGroup name: String) async throws -> [Person]? {
        groupMembers[name].map { $0.sorted().map { people[$0] ?? Person(member: $0) } }
    }

    public func setGroup(_ name: String, members: [Person]) async throws {
        for person in members {
            let known = people[person.member]
            people[person.member] = Person(
                member: person.member,
                displayName: person.displayName ?? known?.displayName,
                email: person.email ?? known?.email
            )
        }
        groupMembers[name] = Set(members.map(\.member))
    }

    public func deleteGroup(_ name: String) async throws -> Bool {
        groupMembers.removeValue(forKey: name) != nil
    }

    public func readingRequests() async throws -> [ReadingRequest] { requests.sorted { $0.deadline < $1.deadline } }

    public func readingRequest(id: Int64) async throws -> ReadingRequest? { requests.first { $0.id == id } }

    public func addReadingRequest(_ request: ReadingRequest) async throws -> Int64 {
        var stored = request
        stored.id = Int64(requests.count + 1)
        requests.append(stored)
        return stored.id
    }

    public func deleteReadingRequest(id: Int64) async throws -> Bool {
        let count = requests.count
        requests.removeAll { $0.id == id }
        return requests.count < count
    }

    public func setRequestDocuments(_ paths: [String], requestID: Int64) async throws -> Bool {
        guard let index = requests.firstIndex(where: { $0.id == requestID }) else { return false }
        requests[index].documents = paths
        kept[requestID] = RequestProgress(readers: [:], generation: (kept[requestID]?.generation ?? 0) + 1, asOf: nil)
        return true
    }

    public func documents(under section: SectionPath) async throws -> [DocumentReference] {
        let documents = Set(events.map(\.document)).filter { (try? SectionPath($0.path)).map(section.contains) ?? false }
        return documents.sorted { $0.path < $1.path }
    }

    /// The documents only: stage times are proven by the real stores.
    public func requestReadings(documents paths: [String], members: [String]) async throws -> [DocumentReadings] {
        paths.map { path in DocumentReadings(path: path, document: events.last { $0.document.key == path }?.document, readers: []) }
    }

    public func addFrozenCells(_ cells: [FrozenCell], requestID: Int64) async throws {
        let kept = Set((frozen[requestID] ?? []).map { [$0.member, $0.path] })
        frozen[requestID, default: []] += cells.filter { !kept.contains([$0.member, $0.path]) }
    }

    public func freezeRequest(id: Int64, at time: Date) async throws -> Bool {
        guard let index = requests.firstIndex(where: { $0.id == id && $0.frozenAt == nil }) else { return false }
        requests[index].frozenAt = time
        kept[id] = RequestProgress(readers: [:], generation: (kept[id]?.generation ?? 0) + 1, asOf: nil)
        return true
    }

    public func frozenCells(requestID: Int64, members: [String], paths: [String]) async throws -> [FrozenCell] {
        (frozen[requestID] ?? []).filter { members.contains($0.member) && paths.contains($0.path) }
    }

    public func requestProgress(requestID: Int64) async throws -> RequestProgress? {
        guard requests.contains(where: { $0.id == requestID }) else { return nil }
        return kept[requestID] ?? RequestProgress(readers: [:], generation: 0, asOf: nil)
    }

    public func saveRequestProgress(
        _ readers: [String: ReaderProgress],
        requestID: Int64,
        generation: Int,
        asOf: (time: Date, documents: String)?
    ) async throws -> Bool {
        guard var progress = try await requestProgress(requestID: requestID), progress.generation == generation else { return false }
        progress.readers.merge(readers) { _, new in new }
        if let asOf { (progress.asOf, progress.documents) = (asOf.time, asOf.documents) }
        kept[requestID] = progress
        return true
    }

    /// None: this store keeps no readings (see ``requestReadings(documents:members:)``).
    public func changedReaders(documents paths: [String], since time: Date?) async throws -> (members: Set<String>, asOf: Date) {
        ([], Date())
    }

    public func purge(member: String) async throws -> Int {
        let removed = events.filter { $0.member == member }.count
        batches = batches.map { $0.filter { $0.member != member } }
        people[member] = nil
        for name in groupMembers.keys { groupMembers[name]?.remove(member) }
        return removed
    }

    /// Removes the views only: this store keeps no summaries apart from them.
    public func purgeViews(before cutoff: Date, everything: Bool) async throws -> Int {
        let removed = events.filter { $0.viewedAt < cutoff }.count
        batches = batches.map { $0.filter { $0.viewedAt >= cutoff } }
        return removed
    }

    public func openings(under section: SectionPath) async throws -> [Date] {
        let inSection = events.filter { (try? SectionPath($0.document.path)).map(section.contains) ?? false }
        return Dictionary(grouping: inSection, by: \.member).values.compactMap { $0.map(\.viewedAt).min() }.sorted()
    }

    public func apiTokens() async throws -> [APIToken] { tokens.reversed() }

    public func apiToken(hash: String) async throws -> APIToken? { tokens.first { $0.hash == hash } }

    public func addAPIToken(_ token: APIToken) async throws -> Int64 {
        var stored = token
        stored.id = Int64(tokens.count + 1)
        tokens.append(stored)
        return stored.id
    }

    public func revokeAPIToken(id: Int64) async throws -> Bool {
        guard let index = tokens.firstIndex(where: { $0.id == id && $0.revokedAt == nil }) else { return false }
        tokens[index].revokedAt = Date()
        return true
    }

    public func recordAudit(_ entry: AuditEntry) async throws { audit.append(entry) }

    public func endSession(id: String, expiresAt: Date) async throws { endedSessions.insert(id) }

    public func isSessionEnded(id: String) async throws -> Bool { endedSessions.contains(id) }

    public func auditLog(limit: Int, offset: Int) async throws -> AuditPage {
        AuditPage(entries: Array(audit.reversed().dropFirst(offset).prefix(limit)), total: audit.count)
    }

    public func statistics() async throws -> StorageStatistics {
        let clicks = Set(events.map { [$0.member, $0.document.key, $0.url] })
        return StorageStatistics(
            documents: Set(events.map(\.document.key)).count,
            views: events.count,
            clickRows: clicks.count,
            clicks: events.count,
            sections: sections.count
        )
    }

    public func views(after position: Int64, limit: Int) async throws -> [StoredView] {
        events.enumerated().dropFirst(Int(position)).prefix(limit).map { StoredView(position: Int64($0.offset + 1), event: $0.element) }
    }

    public func countRecorded(renderIDs: [String]) async throws -> Int {
        renderIDs.filter(self.renderIDs.contains).count
    }

    public func close() async throws {}
}
