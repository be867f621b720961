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
    private var endpoints: [WebhookEndpoint] = []
    private var deliveries: [ClaimedDelivery] = []
    private var leases: [Int64: (owner: String, until: Date)] = [:]
    private var reminderList: [Reminder] = []
    private var mails: [ReminderMail] = []
    private var receiptList: [StoredReceipt] = []

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

    public func freezeRequest(id: Int64, at time: Date, announcing message: WebhookMessage?) async throws -> Bool {
        guard let index = requests.firstIndex(where: { $0.id == id && $0.frozenAt == nil }) else { return false }
        requests[index].frozenAt = time
        kept[id] = RequestProgress(readers: [:], generation: (kept[id]?.generation ?? 0) + 1, asOf: nil)
        if let message { enqueue(message, at: time) }
        return true
    }

    public func completeRequest(id: Int64, at time: Date, announcing message: WebhookMessage?) async throws -> Bool {
        guard let index = requests.firstIndex(where: { $0.id == id && $0.completedAt == nil }) else { return false }
        requests[index].completedAt = time
        if let message { enqueue(message, at: time) }
        return true
    }

    private func enqueue(_ message: WebhookMessage, at time: Date) {
        for endpoint in endpoints where endpoint.events.contains(message.type) {
            let id = Int64(deliveries.count + 1)
            deliveries.append(
                ClaimedDelivery(
                    delivery: WebhookDelivery(
                        id: id,
                        endpointID: endpoint.id,
                        url: endpoint.url,
                        messageID: WebhookMessage.newID(),
                        type: message.type,
                        payload: message.payload,
                        createdAt: time,
                        state: .pending,
                        attempts: 0,
                        nextAttemptAt: time,
                        giveUpAt: time.addingTimeInterval(WebhookMessage.retryWindow)
                    ),
                    sealedSecret: endpoint.sealedSecret
                )
            )
        }
    }

    public func webhooks() async throws -> [WebhookEndpoint] { endpoints }

    public func addWebhook(_ endpoint: WebhookEndpoint) async throws -> Int64 {
        var stored = endpoint
        stored.id = Int64((endpoints.map(\.id).max() ?? 0) + 1)
        endpoints.append(stored)
        return stored.id
    }

    public func deleteWebhook(id: Int64) async throws -> Bool {
        let count = endpoints.count
        endpoints.removeAll { $0.id == id }
        deliveries.removeAll { $0.delivery.endpointID == id }
        return endpoints.count < count
    }

    public func webhookDeliveries(limit: Int, offset: Int) async throws -> WebhookDeliveryPage {
        WebhookDeliveryPage(deliveries: deliveries.reversed().dropFirst(offset).prefix(limit).map(\.delivery), total: deliveries.count)
    }

    public func webhookDelivery(id: Int64) async throws -> WebhookDelivery? {
        deliveries.first { $0.delivery.id == id }?.delivery
    }

    public func nextWebhookDelivery() async throws -> Date? {
        deliveries.filter { $0.delivery.state == .pending }.map(\.delivery.nextAttemptAt).min()
    }

    public func claimWebhookDeliveries(owner: String, now: Date, leaseUntil: Date, limit: Int) async throws -> [ClaimedDelivery] {
        var claimed: [ClaimedDelivery] = []
        for index in deliveries.indices where claimed.count < limit {
            let delivery = deliveries[index].delivery
            guard delivery.state == .pending, delivery.nextAttemptAt <= now, (leases[delivery.id]?.until ?? .distantPast) <= now else { continue }
            leases[delivery.id] = (owner, leaseUntil)
            deliveries[index].delivery.attempts += 1
            deliveries[index].delivery.lastAttemptAt = now
            claimed.append(deliveries[index])
        }
        return claimed
    }

    public func finishWebhookDeliveries(_ outcomes: [Int64: WebhookAttemptOutcome], owner: String) async throws {
        for (id, outcome) in outcomes { finish(id: id, owner: owner, outcome: outcome) }
    }

    private func finish(id: Int64, owner: String, outcome: WebhookAttemptOutcome) {
        guard leases[id]?.owner == owner, let index = deliveries.firstIndex(where: { $0.delivery.id == id }) else { return }
        leases[id] = nil
        switch outcome {
        case .delivered(let status, let at):
            deliveries[index].delivery.state = .delivered
            deliveries[index].delivery.lastStatus = status
            deliveries[index].delivery.deliveredAt = at
        case .failed(let status, let error, _, let retryAt):
            deliveries[index].delivery.state = retryAt == nil ? .failed : .pending
            deliveries[index].delivery.nextAttemptAt = retryAt ?? deliveries[index].delivery.nextAttemptAt
            deliveries[index].delivery.lastStatus = status
            deliveries[index].delivery.lastError = error
        }
    }

    public func resendWebhookDelivery(id: Int64, now: Date) async throws -> Bool {
        guard (leases[id]?.until ?? .distantPast) <= now, let index = deliveries.firstIndex(where: { $0.delivery.id == id }) else { return false }
        deliveries[index].delivery.state = .pending
        deliveries[index].delivery.nextAttemptAt = now
        deliveries[index].delivery.giveUpAt = now.addingTimeInterval(WebhookMessage.retryWindow)
        deliveries[index].delivery.attempts = 0
        leases[id] = nil
        return true
    }

    public func purgeWebhookDeliveries(before cutoff: Date) async throws -> Int {
        let count = deliveries.count
        deliveries.removeAll { $0.delivery.state != .pending && $0.delivery.createdAt < cutoff }
        return count - deliveries.count
    }

    public func reminders(requestID: Int64) async throws -> [Reminder] {
        reminderList.filter { $0.requestID == requestID }.sorted { ($0.dueAt, $0.name) < ($1.dueAt, $1.name) }
    }

    public func setReminderSchedule(requestID: Int64, hours: [Int], at time: Date, by actor: String) async throws -> Bool {
        guard let request = requests.first(where: { $0.id == requestID }) else { return false }
        let names = Set(hours.map(Reminder.name(hoursBefore:)))
        reminderList.removeAll { $0.requestID == requestID && $0.state == .pending && $0.hoursBefore != nil && !names.contains($0.name) }
        for hour in hours where !reminderList.contains(where: { $0.requestID == requestID && $0.name == Reminder.name(hoursBefore: hour) }) {
            let due = request.deadline.addingTimeInterval(-Double(hour) * 3600)
            reminderList.append(
                Reminder(
                    requestID: requestID,
                    name: Reminder.name(hoursBefore: hour),
                    dueAt: due,
                    setAt: time,
                    setBy: actor,
                    state: due < time ? .skipped : .pending,
                    finishedAt: due < time ? time : nil
                )
            )
        }
        return true
    }

    public func addReminder(_ reminder: Reminder) async throws -> Bool {
        guard requests.contains(where: { $0.id == reminder.requestID }),
            !reminderList.contains(where: { $0.requestID == reminder.requestID && $0.name == reminder.name })
        else { return false }
        reminderList.append(reminder)
        return true
    }

    public func dueReminders(at now: Date) async throws -> [Reminder] {
        reminderList.filter { $0.dueAt <= now && ($0.state == .pending || ($0.state == .sending && ($0.leasedUntil ?? .distantPast) <= now)) }
            .sorted { ($0.dueAt, $0.requestID, $0.name) < ($1.dueAt, $1.requestID, $1.name) }
    }

    public func claimReminder(requestID: Int64, name: String, now: Date, leaseUntil: Date) async throws -> Bool {
        guard let index = reminderList.firstIndex(where: { $0.requestID == requestID && $0.name == name }) else { return false }
        let reminder = reminderList[index]
        guard reminder.dueAt <= now, reminder.state == .pending || (reminder.state == .sending && (reminder.leasedUntil ?? .distantPast) <= now)
        else { return false }
        reminderList[index].state = .sending
        reminderList[index].leasedUntil = leaseUntil
        return true
    }

    public func finishReminder(requestID: Int64, name: String, state: Reminder.State, at time: Date) async throws {
        guard let index = reminderList.firstIndex(where: { $0.requestID == requestID && $0.name == name }),
            reminderList[index].state == (state == .superseded ? .pending : .sending)
        else { return }
        reminderList[index].state = state
        reminderList[index].finishedAt = time
        reminderList[index].leasedUntil = nil
    }

    public func claimReminderMail(_ mail: ReminderMail) async throws -> Bool {
        guard !mails.contains(where: { ($0.requestID, $0.reminder, $0.member) == (mail.requestID, mail.reminder, mail.member) }) else { return false }
        mails.append(mail)
        return true
    }

    public func finishReminderMail(_ mail: ReminderMail) async throws {
        guard let index = mails.firstIndex(where: { ($0.requestID, $0.reminder, $0.member) == (mail.requestID, mail.reminder, mail.member) })
        else { return }
        mails[index] = mail
    }

    public func reminderMails(requestID: Int64) async throws -> [ReminderMail] {
        mails.filter { $0.requestID == requestID }.sorted { ($1.at, $0.member) < ($0.at, $1.member) }
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
        receiptList.removeAll { $0.members.contains(member) }
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

    public func addReceipt(_ receipt: StoredReceipt) async throws -> Int64? {
        guard requests.contains(where: { $0.id == receipt.requestID }),
            receipt.reason == .onDemand || !receiptList.contains(where: { $0.requestID == receipt.requestID && $0.reason == .deadline })
        else { return nil }
        var stored = receipt
        stored.id = Int64(receiptList.count + 1)
        receiptList.append(stored)
        return stored.id
    }

    public func receipts(requestID: Int64) async throws -> [StoredReceipt] {
        receiptList.filter { $0.requestID == requestID }.reversed().map { receipt in
            var listed = receipt
            listed.body = ""
            return listed
        }
    }

    public func receipt(id: Int64) async throws -> StoredReceipt? {
        receiptList.first { $0.id == id }
    }

    public func close() async throws {}
}
