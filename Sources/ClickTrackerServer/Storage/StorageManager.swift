import ClickTracker
import ClickTrackerPostgres
import ClickTrackerSQLite
import Foundation
import Logging

/// What the control panel's Storage page does: test a PostgreSQL connection, initialise its
/// schema, switch the running server between the SQLite file and PostgreSQL (saved to the
/// configuration file), and copy the SQLite file's reads across.
actor StorageManager {
    /// A connection string the admin entered, kept as typed (to save) and parsed (to use).
    struct Candidate: Sendable {
        let text: String
        let dsn: PostgresDSN
        /// Names this test in the page's forms, so a button acts on the connection its page showed.
        let id: String
    }

    /// The outcome of a switch, for the page.
    struct SwitchResult: Sendable {
        /// Where the new store is now.
        let location: StoreLocation
        /// Whether and where the choice was saved.
        let saved: String
    }

    /// The copy of the SQLite file's reads into PostgreSQL.
    enum CopyState: Sendable {
        case running(copied: Int, total: Int)
        case finished(CopyReport)
        case failed(copied: Int, reason: String)
    }

    /// Counts on both sides once a copy is finished.
    struct CopyReport: Sendable {
        let source: StorageStatistics
        let destination: StorageStatistics
        /// How many of the source's views the destination holds.
        let present: Int

        var isComplete: Bool { present == source.views }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let live: LiveStore
    let queue: IngestQueue
    let configuration: ServerConfiguration
    private let logger: Logger
    /// The connection string last tested, for the buttons that follow the test.
    private(set) var candidate: Candidate?
    private(set) var copy: CopyState?
    private var copyTask: Task<Void, Never>?

    static let copyPageSize = 1000

    init(live: LiveStore, queue: IngestQueue, configuration: ServerConfiguration, logger: Logger) {
        self.live = live
        self.queue = queue
        self.configuration = configuration
        self.logger = logger
    }

    /// Connects to `text` and reads what is there; remembers it for ``initialise()`` and
    /// ``switchToCandidate(copyData:)``.
    func test(_ text: String) async throws -> DatabaseStatus {
        let dsn: PostgresDSN
        do {
            dsn = try PostgresDSN(text)
        } catch {
            throw Failure(description: "The connection string is not valid: \(error)")
        }
        let logger = logger
        let status = try await dsn.withConnection(timeout: StoreLocation.connectTimeout, logger: logger) { connection in
            try await DatabaseStatus.read(connection, logger: logger)
        }
        candidate = Candidate(text: text, dsn: dsn, id: UUID().uuidString)
        return status
    }

    /// Creates or migrates the schema in the tested database.
    /// - Parameter id: The ``Candidate/id`` the admin's page showed.
    func initialise(candidate id: String?) async throws -> PostgresSchema.Outcome {
        let candidate = try requireCandidate(id)
        let logger = logger
        return try await candidate.dsn.withConnection(timeout: StoreLocation.connectTimeout, logger: logger) { connection in
            try await PostgresSchema.initialise(connection, logger: logger)
        }
    }

    /// Moves the running server to the tested database (`id` as the admin's page showed it);
    /// new reads go there at once. With
    /// `copyData`, the SQLite file's reads and sections are copied across in the background.
    func switchToCandidate(_ id: String?, copyData: Bool) async throws -> SwitchResult {
        let candidate = try requireCandidate(id)
        try requireNoCopyRunning()
        let next = try await StoreLocation.postgres(candidate.dsn).open(initialSections: [], logger: logger)
        await LiveStore.retire(await live.replace(with: next))
        logger.notice("Switched storage to \(next.location)")
        let saved = save(candidate.text)
        if copyData { startCopy() }
        return SwitchResult(location: next.location, saved: saved)
    }

    /// Moves the running server back to the SQLite file.
    func switchToSQLite() async throws -> SwitchResult {
        try requireNoCopyRunning()
        let next = try await StoreLocation.sqlite(path: configuration.databasePath).open(initialSections: [], logger: logger)
        await LiveStore.retire(await live.replace(with: next))
        logger.notice("Switched storage to \(next.location)")
        return SwitchResult(location: next.location, saved: save(nil))
    }

    /// Copies the SQLite file's reads into the current (PostgreSQL) store again; views already
    /// there are skipped, so this completes an interrupted copy.
    func copyAgain() throws {
        try requireNoCopyRunning()
        guard live.active.location.isPostgres else { throw Failure(description: "The server is on the SQLite file; there is nothing to copy into.") }
        startCopy()
    }

    private func requireCandidate(_ id: String?) throws -> Candidate {
        guard let candidate else { throw Failure(description: "Test a connection first.") }
        guard candidate.id == id else {
            throw Failure(description: "Another connection has been tested since this page was shown; test the connection again.")
        }
        return candidate
    }

    private func requireNoCopyRunning() throws {
        if case .running = copy { throw Failure(description: "A copy is running; wait until it has finished.") }
    }

    /// Saves the choice in the configuration file; says what happened.
    private func save(_ text: String?) -> String {
        guard let file = configuration.configFile else {
            return "Not saved: the server was started without --config, so the next start uses its previous settings."
        }
        do {
            try ConfigFile.setPostgresDSN(text, in: file)
        } catch {
            logger.error("Saving the storage choice failed: \(error)")
            return "Not saved: \(error)."
        }
        let saved = "Saved in \(file)."
        return configuration.postgresDSNFromEnvironment
            ? saved + " CLICKTRACKER_POSTGRES_DSN in the environment still wins at the next start; change it too." : saved
    }

    private func startCopy() {
        copy = .running(copied: 0, total: 0)
        copyTask = Task { await self.copySQLiteFile() }
    }

    private func copySQLiteFile() async {
        do {
            let source = try await SQLiteStore.open(path: configuration.databasePath)
            do {
                let report = try await Self.copy(from: source, to: live) { copied, total in
                    await self.setCopy(.running(copied: copied, total: total))
                }
                try? await source.close()
                setCopy(.finished(report))
            } catch {
                try? await source.close()
                throw error
            }
        } catch {
            let copied: Int = if case .running(let copied, _) = copy { copied } else { 0 }
            setCopy(.failed(copied: copied, reason: "\(error)"))
        }
    }

    private func setCopy(_ state: CopyState) {
        copy = state
        switch state {
        case .finished(let report): logger.notice("Copied \(report.source.views) views from the SQLite file; \(report.present) present")
        case .failed(_, let reason): logger.error("Copying the SQLite file failed: \(reason)")
        case .running: break
        }
    }

    /// Copies sections (with their policies), the paths never tracked, and views (with their attention and
    /// acknowledgements) page by page (views the destination has are skipped), then counts on
    /// both sides.
    static func copy(
        from source: any ClickStorage,
        to destination: any ClickStorage,
        progress: @Sendable (Int, Int) async -> Void
    ) async throws -> CopyReport {
        let total = try await source.statistics().views
        for section in try await source.trackedSections() {
            try await destination.setTracked(section.path, true)
            try await destination.setPolicy(section.policy, for: section.path)
        }
        for path in try await source.ignoredPaths() { try await destination.setIgnored(path, true) }
        var position: Int64 = 0
        var copied = 0
        await progress(0, total)
        while true {
            let page = try await source.views(after: position, limit: copyPageSize)
            guard let last = page.last else { break }
            try await destination.record(page.flatMap(\.events))
            position = last.position
            copied += page.count
            await progress(copied, max(total, copied))
        }
        var present = 0
        position = 0
        while true {
            let page = try await source.views(after: position, limit: copyPageSize)
            guard let last = page.last else { break }
            present += try await destination.countRecorded(renderIDs: page.map(\.event.renderID))
            position = last.position
        }
        return CopyReport(source: try await source.statistics(), destination: try await destination.statistics(), present: present)
    }
}
