import Foundation

/// A place that keeps verified reads and the tracked sections: the seed's `IClickStorage`, grown.
///
/// Every store passes the same conformance suite. Implementations must be safe to call
/// concurrently and must make a batch durable before `record(_:)` returns.
public protocol ClickStorage: Sendable {
    /// Writes a batch of verified events in one transaction.
    ///
    /// Views are applied first, then reports and acknowledgements in order. A render id that is
    /// already stored is skipped, so replaying a batch changes nothing. A report adds to a render
    /// only when its sequence number is above the last one's, never after the render's final
    /// report, and its active time is clamped to the time that passed since the last accepted
    /// report (or the view) and since the token was issued, as the server saw it. A view event
    /// that carries attention (a view copied from another store) is stored with it as it is.
    /// An acknowledgement is kept once per member, document and version. A reading summary
    /// is dated (`readAt`) by the event with which it first met its section's reading time.
    /// - Parameter events: The events to write.
    /// - Returns: What became of each event, in the order given.
    @discardableResult
    func record(_ events: [ViewEvent]) async throws -> [RecordOutcome]

    /// Reads one page of the access log under a section, grouped by member and URL.
    /// - Parameter query: Section, ordering and page.
    func accessLog(_ query: AccessLogQuery) async throws -> AccessLogPage

    /// Reads one page of the readers report under a section: per member and document, the
    /// evidence for each version they read.
    /// - Parameter query: Section, ordering and page.
    func readers(_ query: ReadersQuery) async throws -> ReadersPage

    /// All tracked sections, with their reading policies. Called for every tracked page: a store
    /// keeps them in memory while it can watch for changes, its own and other instances' (see
    /// ``TrackingRulesCache``), and reads them on every call otherwise.
    func trackedSections() async throws -> [TrackedSection]

    /// Marks or unmarks a section for tracking. The readings below it are judged again under the
    /// policy that now applies (see ``setPolicy(_:for:)``).
    /// - Parameters:
    ///   - section: The section to change.
    ///   - tracked: `true` to mark it, `false` to unmark it.
    func setTracked(_ section: SectionPath, _ tracked: Bool) async throws

    /// The paths never tracked, even inside a marked section (a site's search page, its index
    /// pages), in order.
    func ignoredPaths() async throws -> [SectionPath]

    /// Adds or removes a path never tracked. What was recorded under it is kept.
    func setIgnored(_ path: SectionPath, _ ignored: Bool) async throws

    /// Changes the reading policy of a tracked section (nothing happens if it is not tracked), and
    /// judges the readings below it again: a reading that now meets the reading time is dated when
    /// its active time was last credited (its earlier date kept when no requirement rose), one that
    /// no longer meets it loses its date. Frozen request status does not change.
    /// - Parameters:
    ///   - policy: The new policy.
    ///   - section: The marked section.
    func setPolicy(_ policy: ReadingPolicy, for section: SectionPath) async throws

    /// The people known among `members` (those with a name or email recorded), by member id.
    func people(_ members: [String]) async throws -> [String: Person]

    /// All groups, by name, with their sizes.
    func groups() async throws -> [MemberGroup]

    /// A group's members, ordered by member id, or `nil` when there is no such group.
    func members(ofGroup name: String) async throws -> [Person]?

    /// Sets a group's members to exactly `members` (creating the group), in one transaction,
    /// and records their names and emails (an unknown one leaves the stored value as it is).
    func setGroup(_ name: String, members: [Person]) async throws

    /// Deletes a group (its people stay known); `false` when there was none.
    @discardableResult
    func deleteGroup(_ name: String) async throws -> Bool

    /// All reading requests, nearest deadline first.
    func readingRequests() async throws -> [ReadingRequest]

    /// One reading request, or `nil` when there is none with that id.
    func readingRequest(id: Int64) async throws -> ReadingRequest?

    /// Stores a new reading request; returns its id.
    @discardableResult
    func addReadingRequest(_ request: ReadingRequest) async throws -> Int64

    /// Deletes a reading request; `false` when there was none.
    @discardableResult
    func deleteReadingRequest(id: Int64) async throws -> Bool

    /// Replaces a request's documents with `paths`, in that order; `false` when there is no
    /// such request.
    @discardableResult
    func setRequestDocuments(_ paths: [String], requestID: Int64) async throws -> Bool

    /// The documents recorded at or below `section`, by path (a request made in front of a site
    /// names the documents seen there).
    func documents(under section: SectionPath) async throws -> [DocumentReference]

    /// What `members` have read of the documents named by `paths` (each a document's key or its
    /// current path), from the reading summaries, which outlive the view rows: per document, in
    /// the order given, each member's evidence per version with the time each stage was reached.
    func requestReadings(documents paths: [String], members: [String]) async throws -> [DocumentReadings]

    /// Keeps cells of a request's status at its deadline, leaving any kept already (several
    /// instances may freeze a request at once).
    func addFrozenCells(_ cells: [FrozenCell], requestID: Int64) async throws

    /// Marks a request's status frozen at its deadline (its cells added before) and sets its kept
    /// progress aside, to be summed up again at the deadline; the first call wins, and only it
    /// puts `message` in the outbox, in the same transaction. Returns `false` when it was frozen
    /// already or there is no such request.
    @discardableResult
    func freezeRequest(id: Int64, at time: Date, announcing message: WebhookMessage?) async throws -> Bool

    /// Marks a request completed (every expected reader has read every document); the first call
    /// wins, and only it puts `message` in the outbox, in the same transaction. Changing the
    /// request's documents clears the mark. Returns `false` when it was marked already or there is
    /// no such request.
    @discardableResult
    func completeRequest(id: Int64, at time: Date, announcing message: WebhookMessage?) async throws -> Bool

    /// The cells frozen for some of a request's readers and documents (by the paths it names).
    func frozenCells(requestID: Int64, members: [String], paths: [String]) async throws -> [FrozenCell]

    /// The progress kept for a request's readers, `nil` when there is no such request. Changing
    /// the request's documents or its group's members, a section's policy or tracking, applying
    /// retention to the summaries, purging a member and freezing set it aside (a new
    /// ``RequestProgress/generation``).
    func requestProgress(requestID: Int64) async throws -> RequestProgress?

    /// Keeps readers' progress through a request, when the kept progress is still of
    /// `generation`; with `asOf`, marks it current up to that time (see
    /// ``changedReaders(documents:since:)``) for the documents fingerprinted by `documents`.
    /// Returns `false` when it was set aside meanwhile.
    @discardableResult
    func saveRequestProgress(
        _ readers: [String: ReaderProgress],
        requestID: Int64,
        generation: Int,
        asOf: (time: Date, documents: String)?
    ) async throws -> Bool

    /// The members whose evidence for the documents named by `paths` changed after `time` (a
    /// reading, view, report or acknowledgement recorded, a new version or another document seen
    /// at the path), none when `time` is `nil`; and the store's clock now, to ask from next time.
    func changedReaders(documents paths: [String], since time: Date?) async throws -> (members: Set<String>, asOf: Date)

    /// Removes everything kept about one member — views, access log, reading summaries and
    /// acknowledgements, name and email, group and request memberships, frozen request status,
    /// reminder mails, the webhook messages and request receipts that name them — in one
    /// transaction, which also records in the evidence log the keys of the rows removed.
    /// - Returns: How many views were removed.
    @discardableResult
    func purge(member: String) async throws -> Int

    /// Applies a retention period: removes the view rows older than `cutoff`. The reading
    /// summaries and the access log are kept, unless `everything` is set: then the summaries and
    /// access-log rows last touched before `cutoff` go too. Reading requests rest on the summaries,
    /// so they keep their evidence unless `everything` is set.
    /// - Returns: How many view rows were removed.
    @discardableResult
    func purgeViews(before cutoff: Date, everything: Bool) async throws -> Int

    /// When each member first opened anything at or below `section`, oldest first (from the
    /// reading summaries, so it outlives the view rows).
    func openings(under section: SectionPath) async throws -> [Date]

    /// All API tokens, revoked ones too, newest first.
    func apiTokens() async throws -> [APIToken]

    /// The token stored under a secret's hash, revoked or not; `nil` when there is none.
    func apiToken(hash: String) async throws -> APIToken?

    /// Stores a new API token; returns its id.
    @discardableResult
    func addAPIToken(_ token: APIToken) async throws -> Int64

    /// Revokes an API token from now on; `false` when there was no such token or it was revoked.
    @discardableResult
    func revokeAPIToken(id: Int64) async throws -> Bool

    /// Adds an entry to the audit log.
    func recordAudit(_ entry: AuditEntry) async throws

    /// Ends a signed-in session for good (its user signed out), for every instance sharing the
    /// store; forgets sessions ended before now whose cookies have expired.
    /// - Parameters:
    ///   - id: The session's id (a hash of its random nonce).
    ///   - expiresAt: When the session's cookie would have expired anyway.
    func endSession(id: String, expiresAt: Date) async throws

    /// `true` if the session was ended by ``endSession(id:expiresAt:)``.
    func isSessionEnded(id: String) async throws -> Bool

    /// One page of the audit log, newest first.
    func auditLog(limit: Int, offset: Int) async throws -> AuditPage

    /// Counts of what the store holds.
    func statistics() async throws -> StorageStatistics

    /// Recorded views in the order they were stored, for copying one store into another; each
    /// carries its attention, and the acknowledgement made from that render, if any.
    /// - Parameters:
    ///   - position: Only views after this position (`0` for the first page).
    ///   - limit: The most views returned.
    func views(after position: Int64, limit: Int) async throws -> [StoredView]

    /// How many of `renderIDs` are recorded.
    func countRecorded(renderIDs: [String]) async throws -> Int

    // MARK: Webhooks

    /// All webhook endpoints, oldest first.
    func webhooks() async throws -> [WebhookEndpoint]

    /// Stores a new endpoint; returns its id. From then on the events it asked for are put in the
    /// outbox for it.
    @discardableResult
    func addWebhook(_ endpoint: WebhookEndpoint) async throws -> Int64

    /// Deletes an endpoint and its deliveries; `false` when there was none.
    @discardableResult
    func deleteWebhook(id: Int64) async throws -> Bool

    /// One page of the delivery log, newest first.
    func webhookDeliveries(limit: Int, offset: Int) async throws -> WebhookDeliveryPage

    /// One delivery, or `nil` when there is none with that id.
    func webhookDelivery(id: Int64) async throws -> WebhookDelivery?

    /// When the earliest pending delivery is due, `nil` when none is pending.
    func nextWebhookDelivery() async throws -> Date?

    /// Claims up to `limit` pending deliveries that are due at `now` and not claimed by another
    /// instance (or whose claim ran out), for `owner` until `leaseUntil`, counting an attempt for
    /// each. Several instances never claim one delivery at the same time.
    func claimWebhookDeliveries(owner: String, now: Date, leaseUntil: Date, limit: Int) async throws -> [ClaimedDelivery]

    /// Records how claimed attempts ended, by delivery id, in one transaction; a delivery whose
    /// claim `owner` no longer holds is left as it is.
    func finishWebhookDeliveries(_ outcomes: [Int64: WebhookAttemptOutcome], owner: String) async throws

    /// Sends a delivery again ("send again"): pending from `now`, its attempts counted afresh and
    /// retried for another day.
    /// Returns `false` when there is no such delivery or it is being attempted right now.
    @discardableResult
    func resendWebhookDelivery(id: Int64, now: Date) async throws -> Bool

    /// Removes delivered and failed deliveries created before `cutoff`; returns how many.
    @discardableResult
    func purgeWebhookDeliveries(before cutoff: Date) async throws -> Int

    // MARK: Reminders

    /// A request's reminders, earliest first.
    func reminders(requestID: Int64) async throws -> [Reminder]

    /// Sets the reminders of a request sent `hours` before its deadline: pending ones not in
    /// `hours` are removed, new ones added (skipped when their time has passed at `time`);
    /// reminders sent, being sent or skipped stay. Returns `false` when there is no such request.
    @discardableResult
    func setReminderSchedule(requestID: Int64, hours: [Int], at time: Date, by actor: String) async throws -> Bool

    /// Adds a reminder unless one of that name exists (a "remind now" posted twice sends once).
    /// Returns `false` when it existed or there is no such request.
    @discardableResult
    func addReminder(_ reminder: Reminder) async throws -> Bool

    /// The reminders due at `now` that nobody is sending: pending, or being sent by an instance
    /// whose claim ran out. Earliest first.
    func dueReminders(at now: Date) async throws -> [Reminder]

    /// Claims a due reminder for sending until `leaseUntil`; `false` when another instance has it
    /// or it is no longer pending.
    func claimReminder(requestID: Int64, name: String, now: Date, leaseUntil: Date) async throws -> Bool

    /// Marks a reminder sent or missed (only while it is being sent), or superseded (only while it
    /// is pending, so one another instance is sending is left alone).
    func finishReminder(requestID: Int64, name: String, state: Reminder.State, at time: Date) async throws

    /// Claims one reader's mail of a reminder before it is sent; `false` when it was claimed
    /// before (by this or another instance): nobody gets a reminder twice.
    func claimReminderMail(_ mail: ReminderMail) async throws -> Bool

    /// Records what became of a claimed mail.
    func finishReminderMail(_ mail: ReminderMail) async throws

    /// The mails of a request's reminders, latest first.
    func reminderMails(requestID: Int64) async throws -> [ReminderMail]

    // MARK: Receipts

    /// Keeps a signed receipt of a request; returns its id, or `nil` when there is no such request
    /// or the receipt is of the deadline and the request has one already (another instance's).
    @discardableResult
    func addReceipt(_ receipt: StoredReceipt) async throws -> Int64?

    /// A request's receipts, newest first, without their bodies.
    func receipts(requestID: Int64) async throws -> [StoredReceipt]

    /// One receipt with its body, or `nil` when there is none with that id.
    func receipt(id: Int64) async throws -> StoredReceipt?

    /// Closes the store; no calls may follow.
    func close() async throws
}

extension ClickStorage {
    /// Records how one claimed attempt ended; see ``finishWebhookDeliveries(_:owner:)``.
    public func finishWebhookDelivery(id: Int64, owner: String, outcome: WebhookAttemptOutcome) async throws {
        try await finishWebhookDeliveries([id: outcome], owner: owner)
    }

    /// Freezes a request's status without telling any webhook; see
    /// ``freezeRequest(id:at:announcing:)``.
    @discardableResult
    public func freezeRequest(id: Int64, at time: Date) async throws -> Bool {
        try await freezeRequest(id: id, at: time, announcing: nil)
    }

    /// Applies a retention period of `days` days counted back from `now`; see
    /// ``purgeViews(before:everything:)``.
    @discardableResult
    public func purgeViews(olderThanDays days: Int, everything: Bool, now: Date = Date()) async throws -> Int {
        try await purgeViews(before: now.addingTimeInterval(-Double(days) * 86_400), everything: everything)
    }
}
