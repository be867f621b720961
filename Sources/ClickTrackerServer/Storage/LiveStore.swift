import ClickTracker
import Foundation
import Synchronization

/// The store the server runs on, replaceable while the server runs (the control panel's
/// Storage page switches it). Every call goes to the store that is current when it starts;
/// ``replace(with:)`` returns the previous store once no call is using it any more.
final class LiveStore: ClickStorage {
    /// A store in use, and how it is reached.
    struct Active: Sendable {
        let store: any ClickStorage
        let location: StoreLocation
        /// Runs the store's connection pool, if it has one; cancelled when the store is retired.
        let runner: Task<Void, Never>?
    }

    private struct State {
        var active: Active
        var generation = 0
        var callsInFlight: [Int: Int] = [:]
    }

    private let state: Mutex<State>

    init(_ active: Active) {
        state = Mutex(State(active: active))
    }

    /// The store in use now.
    var active: Active { state.withLock { $0.active } }

    /// Makes `next` current and waits until no call uses the previous store; the caller owns
    /// the previous store from then on (see ``retire(_:)``).
    func replace(with next: Active) async -> Active {
        let (previous, generation) = state.withLock { state in
            defer {
                state.active = next
                state.generation += 1
            }
            return (state.active, state.generation)
        }
        while state.withLock({ ($0.callsInFlight[generation] ?? 0) > 0 }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return previous
    }

    /// Closes a store that is no longer current and stops its pool.
    static func retire(_ active: Active) async {
        try? await active.store.close()
        active.runner?.cancel()
    }

    private func use<T>(_ body: (any ClickStorage) async throws -> T) async throws -> T {
        let (store, generation) = state.withLock { state in
            state.callsInFlight[state.generation, default: 0] += 1
            return (state.active.store, state.generation)
        }
        defer {
            state.withLock { state in
                state.callsInFlight[generation]! -= 1
                if state.callsInFlight[generation] == 0 { state.callsInFlight[generation] = nil }
            }
        }
        return try await body(store)
    }

    func record(_ events: [ViewEvent]) async throws -> [RecordOutcome] {
        try await use { try await $0.record(events) }
    }

    func accessLog(_ query: AccessLogQuery) async throws -> AccessLogPage {
        try await use { try await $0.accessLog(query) }
    }

    func readers(_ query: ReadersQuery) async throws -> ReadersPage {
        try await use { try await $0.readers(query) }
    }

    func trackedSections() async throws -> [TrackedSection] {
        try await use { try await $0.trackedSections() }
    }

    func setPolicy(_ policy: ReadingPolicy, for section: SectionPath) async throws {
        try await use { try await $0.setPolicy(policy, for: section) }
    }

    func ignoredPaths() async throws -> [SectionPath] {
        try await use { try await $0.ignoredPaths() }
    }

    func setIgnored(_ path: SectionPath, _ ignored: Bool) async throws {
        try await use { try await $0.setIgnored(path, ignored) }
    }

    func setTracked(_ section: SectionPath, _ tracked: Bool) async throws {
        try await use { try await $0.setTracked(section, tracked) }
    }

    func people(_ members: [String]) async throws -> [String: Person] {
        try await use { try await $0.people(members) }
    }

    func groups() async throws -> [MemberGroup] {
        try await use { try await $0.groups() }
    }

    func members(ofGroup name: String) async throws -> [Person]? {
        try await use { try await $0.members(ofGroup: name) }
    }

    func setGroup(_ name: String, members: [Person]) async throws {
        try await use { try await $0.setGroup(name, members: members) }
    }

    func deleteGroup(_ name: String) async throws -> Bool {
        try await use { try await $0.deleteGroup(name) }
    }

    func readingRequests() async throws -> [ReadingRequest] {
        try await use { try await $0.readingRequests() }
    }

    func readingRequest(id: Int64) async throws -> ReadingRequest? {
        try await use { try await $0.readingRequest(id: id) }
    }

    func addReadingRequest(_ request: ReadingRequest) async throws -> Int64 {
        try await use { try await $0.addReadingRequest(request) }
    }

    func deleteReadingRequest(id: Int64) async throws -> Bool {
        try await use { try await $0.deleteReadingRequest(id: id) }
    }

    func setRequestDocuments(_ paths: [String], requestID: Int64) async throws -> Bool {
        try await use { try await $0.setRequestDocuments(paths, requestID: requestID) }
    }

    func documents(under section: SectionPath) async throws -> [DocumentReference] {
        try await use { try await $0.documents(under: section) }
    }

    func requestReadings(documents paths: [String], members: [String]) async throws -> [DocumentReadings] {
        try await use { try await $0.requestReadings(documents: paths, members: members) }
    }

    func addFrozenCells(_ cells: [FrozenCell], requestID: Int64) async throws {
        try await use { try await $0.addFrozenCells(cells, requestID: requestID) }
    }

    func freezeRequest(id: Int64, at time: Date, announcing message: WebhookMessage?) async throws -> Bool {
        try await use { try await $0.freezeRequest(id: id, at: time, announcing: message) }
    }

    func completeRequest(id: Int64, at time: Date, announcing message: WebhookMessage?) async throws -> Bool {
        try await use { try await $0.completeRequest(id: id, at: time, announcing: message) }
    }

    func frozenCells(requestID: Int64, members: [String], paths: [String]) async throws -> [FrozenCell] {
        try await use { try await $0.frozenCells(requestID: requestID, members: members, paths: paths) }
    }

    func requestProgress(requestID: Int64) async throws -> RequestProgress? {
        try await use { try await $0.requestProgress(requestID: requestID) }
    }

    func saveRequestProgress(
        _ readers: [String: ReaderProgress],
        requestID: Int64,
        generation: Int,
        asOf: (time: Date, documents: String)?
    ) async throws -> Bool {
        try await use { try await $0.saveRequestProgress(readers, requestID: requestID, generation: generation, asOf: asOf) }
    }

    func changedReaders(documents paths: [String], since time: Date?) async throws -> (members: Set<String>, asOf: Date) {
        try await use { try await $0.changedReaders(documents: paths, since: time) }
    }

    func purge(member: String) async throws -> Int {
        try await use { try await $0.purge(member: member) }
    }

    func purgeViews(before cutoff: Date, everything: Bool) async throws -> Int {
        try await use { try await $0.purgeViews(before: cutoff, everything: everything) }
    }

    func openings(under section: SectionPath) async throws -> [Date] {
        try await use { try await $0.openings(under: section) }
    }

    func apiTokens() async throws -> [APIToken] {
        try await use { try await $0.apiTokens() }
    }

    func apiToken(hash: String) async throws -> APIToken? {
        try await use { try await $0.apiToken(hash: hash) }
    }

    func addAPIToken(_ token: APIToken) async throws -> Int64 {
        try await use { try await $0.addAPIToken(token) }
    }

    func revokeAPIToken(id: Int64) async throws -> Bool {
        try await use { try await $0.revokeAPIToken(id: id) }
    }

    func recordAudit(_ entry: AuditEntry) async throws {
        try await use { try await $0.recordAudit(entry) }
    }

    func endSession(id: String, expiresAt: Date) async throws {
        try await use { try await $0.endSession(id: id, expiresAt: expiresAt) }
    }

    func isSessionEnded(id: String) async throws -> Bool {
        try await use { try await $0.isSessionEnded(id: id) }
    }

    func auditLog(limit: Int, offset: Int) async throws -> AuditPage {
        try await use { try await $0.auditLog(limit: limit, offset: offset) }
    }

    func statistics() async throws -> StorageStatistics {
        try await use { try await $0.statistics() }
    }

    func views(after position: Int64, limit: Int) async throws -> [StoredView] {
        try await use { try await $0.views(after: position, limit: limit) }
    }

    func countRecorded(renderIDs: [String]) async throws -> Int {
        try await use { try await $0.countRecorded(renderIDs: renderIDs) }
    }

    func webhooks() async throws -> [WebhookEndpoint] {
        try await use { try await $0.webhooks() }
    }

    func addWebhook(_ endpoint: WebhookEndpoint) async throws -> Int64 {
        try await use { try await $0.addWebhook(endpoint) }
    }

    func deleteWebhook(id: Int64) async throws -> Bool {
        try await use { try await $0.deleteWebhook(id: id) }
    }

    func webhookDeliveries(limit: Int, offset: Int) async throws -> WebhookDeliveryPage {
        try await use { try await $0.webhookDeliveries(limit: limit, offset: offset) }
    }

    func webhookDelivery(id: Int64) async throws -> WebhookDelivery? {
        try await use { try await $0.webhookDelivery(id: id) }
    }

    func nextWebhookDelivery() async throws -> Date? {
        try await use { try await $0.nextWebhookDelivery() }
    }

    func claimWebhookDeliveries(owner: String, now: Date, leaseUntil: Date, limit: Int) async throws -> [ClaimedDelivery] {
        try await use { try await $0.claimWebhookDeliveries(owner: owner, now: now, leaseUntil: leaseUntil, limit: limit) }
    }

    func finishWebhookDeliveries(_ outcomes: [Int64: WebhookAttemptOutcome], owner: String) async throws {
        try await use { try await $0.finishWebhookDeliveries(outcomes, owner: owner) }
    }

    func resendWebhookDelivery(id: Int64, now: Date) async throws -> Bool {
        try await use { try await $0.resendWebhookDelivery(id: id, now: now) }
    }

    func purgeWebhookDeliveries(before cutoff: Date) async throws -> Int {
        try await use { try await $0.purgeWebhookDeliveries(before: cutoff) }
    }

    func reminders(requestID: Int64) async throws -> [Reminder] {
        try await use { try await $0.reminders(requestID: requestID) }
    }

    func setReminderSchedule(requestID: Int64, hours: [Int], at time: Date, by actor: String) async throws -> Bool {
        try await use { try await $0.setReminderSchedule(requestID: requestID, hours: hours, at: time, by: actor) }
    }

    func addReminder(_ reminder: Reminder) async throws -> Bool {
        try await use { try await $0.addReminder(reminder) }
    }

    func dueReminders(at now: Date) async throws -> [Reminder] {
        try await use { try await $0.dueReminders(at: now) }
    }

    func claimReminder(requestID: Int64, name: String, now: Date, leaseUntil: Date) async throws -> Bool {
        try await use { try await $0.claimReminder(requestID: requestID, name: name, now: now, leaseUntil: leaseUntil) }
    }

    func finishReminder(requestID: Int64, name: String, state: Reminder.State, at time: Date) async throws {
        try await use { try await $0.finishReminder(requestID: requestID, name: name, state: state, at: time) }
    }

    func claimReminderMail(_ mail: ReminderMail) async throws -> Bool {
        try await use { try await $0.claimReminderMail(mail) }
    }

    func finishReminderMail(_ mail: ReminderMail) async throws {
        try await use { try await $0.finishReminderMail(mail) }
    }

    func reminderMails(requestID: Int64) async throws -> [ReminderMail] {
        try await use { try await $0.reminderMails(requestID: requestID) }
    }

    @discardableResult
    func addReceipt(_ receipt: StoredReceipt) async throws -> Int64? {
        try await use { try await $0.addReceipt(receipt) }
    }

    func receipts(requestID: Int64) async throws -> [StoredReceipt] {
        try await use { try await $0.receipts(requestID: requestID) }
    }

    func receipt(id: Int64) async throws -> StoredReceipt? {
        try await use { try await $0.receipt(id: id) }
    }

    /// Closes the current store (at shutdown, after the ingest queue has drained).
    func close() async throws {
        await Self.retire(active)
    }
}

/// The evidence log of the store in use; every store the server runs on keeps one.
extension LiveStore: EvidenceLog {
    /// The store in use offers no evidence log (a test's store).
    struct NoEvidenceLog: Error, CustomStringConvertible {
        var description: String { "this store keeps no evidence log" }
    }

    private func log<T>(_ body: (any EvidenceLog) async throws -> T) async throws -> T {
        try await use { store in
            guard let log = store as? any EvidenceLog else { throw NoEvidenceLog() }
            return try await body(log)
        }
    }

    func evidenceHead() async throws -> EvidenceHead {
        try await log { try await $0.evidenceHead() }
    }

    func evidenceEntries(sealed: Bool, after: Int64, limit: Int) async throws -> [EvidenceEntry] {
        try await log { try await $0.evidenceEntries(sealed: sealed, after: after, limit: limit) }
    }

    func sealEvidence(_ entries: [EvidenceEntry], after head: EvidenceHead) async throws -> Bool {
        try await log { try await $0.sealEvidence(entries, after: head) }
    }

    func evidenceCheckpoints() async throws -> [EvidenceCheckpoint] {
        try await log { try await $0.evidenceCheckpoints() }
    }

    func latestEvidenceCheckpoint() async throws -> EvidenceCheckpoint? {
        try await log { try await $0.latestEvidenceCheckpoint() }
    }

    func addEvidenceCheckpoint(_ checkpoint: EvidenceCheckpoint) async throws {
        try await log { try await $0.addEvidenceCheckpoint(checkpoint) }
    }

    func viewEvidence(after id: Int64, limit: Int) async throws -> [(id: Int64, row: EvidenceRow)] {
        try await log { try await $0.viewEvidence(after: id, limit: limit) }
    }

    func acknowledgementEvidence(after renderID: String, limit: Int) async throws -> [EvidenceRow] {
        try await log { try await $0.acknowledgementEvidence(after: renderID, limit: limit) }
    }
}
