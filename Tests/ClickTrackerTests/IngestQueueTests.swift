import Foundation
import ServiceLifecycle
import Testing

@testable import ClickTracker

/// A store that holds each write until released, to observe batching, and can fail.
actor GatedStore: ClickStorage {
    struct Failure: Error, CustomStringConvertible {
        var description = "the store refused the event"
    }

    var batches: [[ViewEvent]] = []
    var failNext = false
    /// While set, every write throws ``StorageUnavailable``.
    var isUnavailable = false
    /// A write holding any of these render ids throws ``Failure`` (the store refuses it).
    var refused: Set<String> = []
    /// While set, a write holding any of `refused` fails differently each time (a flaky store).
    var refusesInconsistently = false
    /// While above zero, writes throw what a cancelled database call throws, and count down.
    var cancelledWrites = 0
    private var attempts = 0
    private var gate: CheckedContinuation<Void, Never>?
    private var isGated = true
    private var waitingForWrite: CheckedContinuation<Void, Never>?

    /// Size of the batch currently held at the gate.
    var writingCount = 0

    func record(_ events: [ViewEvent]) async throws -> [RecordOutcome] {
        if isGated {
            writingCount = events.count
            waitingForWrite?.resume()
            waitingForWrite = nil
            await withTaskCancellationHandler {
                await withCheckedContinuation { gate = $0 }
            } onCancel: {
                Task { await self.releaseOne() }
            }
            try Task.checkCancellation()
        }
        if cancelledWrites > 0 {
            cancelledWrites -= 1
            throw CancellationError()
        }
        if failNext {
            failNext = false
            throw Failure()
        }
        if isUnavailable { throw StorageUnavailable(reason: "test outage") }
        if events.contains(where: { refused.contains($0.renderID) }) {
            attempts += 1
            throw Failure(description: refusesInconsistently ? "refusal number \(attempts)" : "the store refused the event")
        }
        batches.append(events)
        return events.map { $0.kind == .view ? .recorded : .unknownRender }
    }

    /// Waits until a write is blocked on the gate.
    func writeStarted() async {
        if gate != nil { return }
        await withCheckedContinuation { waitingForWrite = $0 }
    }

    /// Writes made against refused events so far.
    var attemptsMade: Int { attempts }

    /// Holds writes at the gate again.
    func holdWrites() { isGated = true }

    func open() {
        isGated = false
        gate?.resume()
        gate = nil
    }

    func releaseOne() {
        gate?.resume()
        gate = nil
    }

    func failNextWrite() { failNext = true }

    func setUnavailable(_ value: Bool) { isUnavailable = value }

    func refuse(_ renderIDs: Set<String>, consistently: Bool = true) {
        refused = renderIDs
        refusesInconsistently = !consistently
    }

    func cancelNextWrites(_ count: Int) { cancelledWrites = count }

    func accessLog(_ query: AccessLogQuery) async throws -> AccessLogPage { AccessLogPage(entries: [], total: 0) }
    func readers(_ query: ReadersQuery) async throws -> ReadersPage { ReadersPage(readers: [], total: 0) }
    func trackedSections() async throws -> [TrackedSection] { [] }
    func setTracked(_ section: SectionPath, _ tracked: Bool) async throws {}
    func ignoredPaths() async throws -> [SectionPath] { [] }
    func setIgnored(_ path: SectionPath, _ ignored: Bool) async throws {}
    func setPolicy(_ policy: ReadingPolicy, for section: SectionPath) async throws {}
    func people(_ members: [String]) async throws -> [String: Person] { [:] }
    func groups() async throws -> [MemberGroup] { [] }
    func members(ofGroup name: String) async throws -> [Person]? { nil }
    func setGroup(_ name: String, members: [Person]) async throws {}
    func deleteGroup(_ name: String) async throws -> Bool { false }
    func readingRequests() async throws -> [ReadingRequest] { [] }
    func readingRequest(id: Int64) async throws -> ReadingRequest? { nil }
    func addReadingRequest(_ request: ReadingRequest) async throws -> Int64 { 0 }
    func deleteReadingRequest(id: Int64) async throws -> Bool { false }
    func setRequestDocuments(_ paths: [String], requestID: Int64) async throws -> Bool { false }
    func documents(under section: SectionPath) async throws -> [DocumentReference] { [] }
    func requestReadings(documents paths: [String], members: [String]) async throws -> [DocumentReadings] { [] }
    func addFrozenCells(_ cells: [FrozenCell], requestID: Int64) async throws {}
    func freezeRequest(id: Int64, at time: Date, announcing message: WebhookMessage?) async throws -> Bool { false }
    func completeRequest(id: Int64, at time: Date, announcing message: WebhookMessage?) async throws -> Bool { false }
    func frozenCells(requestID: Int64, members: [String], paths: [String]) async throws -> [FrozenCell] { [] }
    func requestProgress(requestID: Int64) async throws -> RequestProgress? { nil }
    func saveRequestProgress(
        _ readers: [String: ReaderProgress],
        requestID: Int64,
        generation: Int,
        asOf: (time: Date, documents: String)?
    ) async throws -> Bool { false }
    func changedReaders(documents paths: [String], since time: Date?) async throws -> (members: Set<String>, asOf: Date) { ([], Date()) }
    func purge(member: String) async throws -> Int { 0 }
    func purgeViews(before cutoff: Date, everything: Bool) async throws -> Int { 0 }
    func openings(under section: SectionPath) async throws -> [Date] { [] }
    func apiTokens() async throws -> [APIToken] { [] }
    func apiToken(hash: String) async throws -> APIToken? { nil }
    func addAPIToken(_ token: APIToken) async throws -> Int64 { 0 }
    func revokeAPIToken(id: Int64) async throws -> Bool { false }
    func recordAudit(_ entry: AuditEntry) async throws {}
    func endSession(id: String, expiresAt: Date) async throws {}
    func isSessionEnded(id: String) async throws -> Bool { false }
    func auditLog(limit: Int, offset: Int) async throws -> AuditPage { AuditPage(entries: [], total: 0) }
    func statistics() async throws -> StorageStatistics { StorageStatistics(documents: 0, views: 0, clickRows: 0, clicks: 0, sections: 0) }
    func views(after position: Int64, limit: Int) async throws -> [StoredView] { [] }
    func countRecorded(renderIDs: [String]) async throws -> Int { 0 }
    func webhooks() async throws -> [WebhookEndpoint] { [] }
    func addWebhook(_ endpoint: WebhookEndpoint) async throws -> Int64 { 0 }
    func deleteWebhook(id: Int64) async throws -> Bool { false }
    func webhookDeliveries(limit: Int, offset: Int) async throws -> WebhookDeliveryPage { WebhookDeliveryPage(deliveries: [], total: 0) }
    func webhookDelivery(id: Int64) async throws -> WebhookDelivery? { nil }
    func nextWebhookDelivery() async throws -> Date? { nil }
    func claimWebhookDeliveries(owner: String, now: Date, leaseUntil: Date, limit: Int) async throws -> [ClaimedDelivery] { [] }
    func finishWebhookDeliveries(_ outcomes: [Int64: WebhookAttemptOutcome], owner: String) async throws {}
    func resendWebhookDelivery(id: Int64, now: Date) async throws -> Bool { false }
    func purgeWebhookDeliveries(before cutoff: Date) async throws -> Int { 0 }
    func reminders(requestID: Int64) async throws -> [Reminder] { [] }
    func setReminderSchedule(requestID: Int64, hours: [Int], at time: Date, by actor: String) async throws -> Bool { false }
    func addReminder(_ reminder: Reminder) async throws -> Bool { false }
    func dueReminders(at now: Date) async throws -> [Reminder] { [] }
    func claimReminder(requestID: Int64, name: String, now: Date, leaseUntil: Date) async throws -> Bool { false }
    func finishReminder(requestID: Int64, name: String, state: Reminder.State, at time: Date) async throws {}
    func claimReminderMail(_ mail: ReminderMail) async throws -> Bool { false }
    func finishReminderMail(_ mail: ReminderMail) async throws {}
    func reminderMails(requestID: Int64) async throws -> [ReminderMail] { [] }
    func addReceipt(_ receipt: StoredReceipt) async throws -> Int64? { nil }
    func receipts(requestID: Int64) async throws -> [StoredReceipt] { [] }
    func receipt(id: Int64) async throws -> StoredReceipt? { nil }
    func close() async throws {}
}

/// Polls `condition` every 10 ms for up to a minute (a limit for hangs, not a measure of speed).
func waitFor(_ condition: () async -> Bool) async throws -> Bool {
    for _ in 0..<6000 {
        if await condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

@Suite("Ingest queue")
struct IngestQueueTests {
    /// A spool folder of its own for one test (the caller removes it).
    static func spoolFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)").path
    }

    /// A queue running on `store` with a spool in `folder`, and `count` events acknowledged into
    /// the spool while the store was unreachable (it stays so until the caller says otherwise).
    static func spooling(_ count: Int, into folder: String, store: GatedStore) async throws -> (IngestQueue, Task<Void, any Error>) {
        await store.open()
        await store.setUnavailable(true)
        let queue = IngestQueue(storage: store, spool: try Spool(directory: folder))
        let writer = Task { try await queue.run() }
        for index in 0..<count { try await queue.submit(event(index)) }
        return (queue, writer)
    }

    static func event(_ index: Int) -> ViewEvent {
        ViewEvent(
            member: "m\(index)",
            document: DocumentReference(path: "/papers/\(index).html"),
            url: "/papers/\(index).html",
            renderID: "r\(index)",
            issuedAt: Date(),
            viewedAt: Date()
        )
    }

    @Test("Events that arrive while a batch is written go out together in the next batch")
    func groupCommit() async throws {
        let store = GatedStore()
        let queue = IngestQueue(storage: store)
        let writer = Task { try await queue.run() }
        async let first = queue.submit(Self.event(0))
        await store.writeStarted()
        let rest = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 1...50 { group.addTask { _ = try await queue.submit(Self.event(index)) } }
                try await group.waitForAll()
            }
        }
        #expect(try await waitFor { await queue.backlog == 50 })
        await store.open()
        #expect(try await first == .recorded)
        try await rest.value
        let batches = await store.batches
        #expect(batches.count == 2)
        #expect(batches[0].count == 1)
        #expect(batches[1].count == 50)
        await queue.close()
        try await writer.value
    }

    @Test("submit returns only after the batch is written")
    func acknowledgesAfterCommit() async throws {
        let store = GatedStore()
        let queue = IngestQueue(storage: store)
        let writer = Task { try await queue.run() }
        let submitted = Task { try await queue.submit(Self.event(1)) }
        await store.writeStarted()
        try await Task.sleep(for: .milliseconds(100))
        #expect(await store.batches.isEmpty)
        await store.open()
        _ = try await submitted.value
        #expect(await store.batches.count == 1)
        await queue.close()
        try await writer.value
    }

    @Test("A failed batch fails every submitter; the queue goes on")
    func failure() async throws {
        let store = GatedStore()
        await store.failNextWrite()
        await store.open()
        let queue = IngestQueue(storage: store)
        let writer = Task { try await queue.run() }
        await #expect(throws: GatedStore.Failure.self) { try await queue.submit(Self.event(1)) }
        try await queue.submit(Self.event(2))
        #expect(await store.batches.map { $0.map(\.renderID) } == [["r2"]])
        await queue.close()
        try await writer.value
    }

    @Test("Graceful shutdown drains what was queued and refuses new events")
    func drainOnShutdown() async throws {
        let store = GatedStore()
        let queue = IngestQueue(storage: store)
        let group = ServiceGroup(services: [queue], logger: .init(label: "test"))
        let running = Task { try await group.run() }
        let submitters = (0..<20).map { index in Task { try await queue.submit(Self.event(index)) } }
        await store.writeStarted()
        let batched = await store.writingCount
        #expect(try await waitFor { await queue.backlog == 20 - batched })
        await group.triggerGracefulShutdown()
        #expect(try await waitFor { await queue.isClosing })
        await #expect(throws: IngestQueue.SubmitError.self) { try await queue.submit(Self.event(99)) }
        await store.open()
        for submitter in submitters { _ = try await submitter.value }
        try await running.value
        #expect(await store.batches.flatMap { $0 }.count == 20)
    }

    @Test("While the store is unreachable, batches are acknowledged from the spool and replayed in order when it returns")
    func spoolsDuringOutage() async throws {
        let folder = Self.spoolFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = GatedStore()
        await store.open()
        await store.setUnavailable(true)
        let queue = IngestQueue(storage: store, spool: try Spool(directory: folder), maximumBatchSize: 4)
        let writer = Task { try await queue.run() }
        for index in 0..<10 { try await queue.submit(Self.event(index)) }
        #expect(await queue.spooled == 10)
        #expect(await store.batches.isEmpty)
        await store.setUnavailable(false)
        #expect(try await waitFor { await queue.spooled == 0 })
        // A later event is written after the replayed ones, never before them.
        try await queue.submit(Self.event(10))
        #expect(await store.batches.flatMap { $0 }.map(\.renderID) == (0...10).map { "r\($0)" })
        #expect(await store.batches.allSatisfy { $0.count <= 4 })
        await queue.close()
        try await writer.value
    }

    @Test("Other store failures are not spooled: the submitter gets the error and nothing is acknowledged")
    func doesNotSpoolFailures() async throws {
        let folder = Self.spoolFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = GatedStore()
        await store.failNextWrite()
        await store.open()
        let queue = IngestQueue(storage: store, spool: try Spool(directory: folder))
        let writer = Task { try await queue.run() }
        await #expect(throws: GatedStore.Failure.self) { try await queue.submit(Self.event(1)) }
        #expect(await queue.spooled == 0)
        await queue.close()
        try await writer.value
    }

    @Test("Events spooled when the process stopped are replayed by the next one")
    func replaysAfterRestart() async throws {
        let folder = Self.spoolFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = GatedStore()
        do {
            let (queue, writer) = try await Self.spooling(3, into: folder, store: store)
            await queue.close()
            try await writer.value
        }
        #expect(await store.batches.isEmpty)
        await store.setUnavailable(false)
        let queue = IngestQueue(storage: store, spool: try Spool(directory: folder))
        #expect(await queue.spooled == 3)
        let writer = Task { try await queue.run() }
        #expect(try await waitFor { await queue.spooled == 0 })
        #expect(await store.batches.flatMap { $0 }.map(\.renderID) == ["r0", "r1", "r2"])
        await queue.close()
        try await writer.value
    }

    @Test("An event the store refuses fails alone: the others in its batch are written and acknowledged")
    func refusedEventFailsAlone() async throws {
        let store = GatedStore()
        await store.refuse(["r3"])
        let queue = IngestQueue(storage: store)
        let writer = Task { try await queue.run() }
        let submitters = (0..<6).map { index in Task { try await queue.submit(Self.event(index)) } }
        await store.writeStarted()
        await store.open()
        var failed: [Int] = []
        for (index, submitter) in submitters.enumerated() {
            do { _ = try await submitter.value } catch { failed.append(index) }
        }
        #expect(failed == [3])
        #expect(Set(await store.batches.flatMap { $0 }.map(\.renderID)) == ["r0", "r1", "r2", "r4", "r5"])
        await queue.close()
        try await writer.value
    }

    @Test("A spooled event the store refuses on replay is set aside; the events behind it are replayed")
    func refusedOnReplay() async throws {
        let folder = Self.spoolFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = GatedStore()
        let (queue, writer) = try await Self.spooling(5, into: folder, store: store)
        await store.refuse(["r2"])
        await store.setUnavailable(false)
        #expect(try await waitFor { await queue.spooled == 0 })
        #expect(await store.batches.flatMap { $0 }.map(\.renderID) == ["r0", "r1", "r3", "r4"])
        #expect(await queue.setAside == 1)
        #expect(await queue.setAsideSummary.map(\.reason) == ["the store refused the event"])
        #expect(await queue.setAsideSummary.map(\.count) == [1])
        let rejected = try String(contentsOfFile: folder + "/rejected.jsonl", encoding: .utf8)
        #expect(rejected.contains("\"renderID\":\"r2\""))
        #expect(rejected.contains("\"reason\":\"the store refused the event\""))

        // Once the cause is fixed, the set-aside read is put back and written.
        await store.refuse([])
        #expect(try await queue.retrySetAside() == 1)
        #expect(try await waitFor { await queue.spooled == 0 })
        #expect(await queue.setAside == 0)
        #expect(await store.batches.flatMap { $0 }.map(\.renderID).last == "r2")
        #expect(!FileManager.default.fileExists(atPath: folder + "/rejected.jsonl"))
        await queue.close()
        try await writer.value
    }

    @Test("A spooled event the store refuses with a different answer each time stays in the spool; none is set aside")
    func inconsistentRefusalStaysSpooled() async throws {
        let folder = Self.spoolFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = GatedStore()
        let (queue, writer) = try await Self.spooling(3, into: folder, store: store)
        await store.refuse(["r1"], consistently: false)
        await store.setUnavailable(false)
        // Several replay attempts, each answered differently: the chunk stays.
        #expect(try await waitFor { await store.attemptsMade >= 6 })
        #expect(await queue.setAside == 0)
        #expect(await queue.spooled == 3)
        await store.refuse([])
        #expect(try await waitFor { await queue.spooled == 0 })
        #expect(Set(await store.batches.flatMap { $0 }.map(\.renderID)) == ["r0", "r1", "r2"])
        await queue.close()
        try await writer.value
    }

    @Test("A store call cancelled during replay sets nothing aside: the chunk stays in the spool")
    func cancelledReplayKeepsChunk() async throws {
        let folder = Self.spoolFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = GatedStore()
        let (queue, writer) = try await Self.spooling(4, into: folder, store: store)
        // What a database call interrupted by shutdown throws, for the batch and every single retry.
        await store.cancelNextWrites(3)
        await store.setUnavailable(false)
        #expect(try await waitFor { await store.cancelledWrites == 0 })
        #expect(await queue.setAside == 0)
        #expect(await queue.spooled == 4)
        #expect(try await waitFor { await queue.spooled == 0 })
        #expect(await store.batches.flatMap { $0 }.map(\.renderID) == ["r0", "r1", "r2", "r3"])
        await queue.close()
        try await writer.value
    }

    @Test("Stopping the server while a replay is writing sets nothing aside; the next start writes every read")
    func shutdownDuringReplay() async throws {
        let folder = Self.spoolFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = GatedStore()
        do {
            let (queue, writer) = try await Self.spooling(5, into: folder, store: store)
            // The replay's write is held at the gate when the server is stopped (its task cancelled).
            await store.holdWrites()
            await store.setUnavailable(false)
            await store.writeStarted()
            writer.cancel()
            try? await writer.value
            #expect(await queue.setAside == 0)
        }
        await store.open()
        let queue = IngestQueue(storage: store, spool: try Spool(directory: folder))
        #expect(await queue.setAside == 0)
        #expect(await queue.spooled == 5)
        let writer = Task { try await queue.run() }
        #expect(try await waitFor { await queue.spooled == 0 })
        #expect(await store.batches.flatMap { $0 }.map(\.renderID) == ["r0", "r1", "r2", "r3", "r4"])
        #expect(!FileManager.default.fileExists(atPath: folder + "/rejected.jsonl"))
        await queue.close()
        try await writer.value
    }

    @Test("Set-aside reads written before reasons were kept are counted, shown and put back too")
    func earlierSetAsideFormat() async throws {
        let folder = Self.spoolFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        let line = String(decoding: try encoder.encode(Self.event(7)), as: UTF8.self)
        try (line + "\n").write(toFile: folder + "/rejected.jsonl", atomically: true, encoding: .utf8)
        let spool = try Spool(directory: folder)
        #expect(await spool.rejected == 1)
        #expect(await spool.setAsideSummary.first?.reason == "refused before ClickTracker kept reasons")
        #expect(try await spool.requeueSetAside() == 1)
        #expect(await spool.backlog == 1)
        #expect(await spool.rejected == 0)
        #expect(try await spool.peek(maximumEvents: 10)?.events.map(\.renderID) == ["r7"])
        await spool.close()
    }
}
