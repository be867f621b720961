import ClickTracker
import Crypto
import Foundation

/// The report of one reading request: every expected reader's progress (kept by the store and
/// brought up to date here), the request's documents, and which of them are outside every
/// tracked section (nothing is recorded for them). Cells are loaded for the readers and documents
/// shown (``cells(rows:columns:)``), so a page costs what it shows.
struct RequestReport: Sendable {
    let grid: RequestGrid
    let untrackedDocuments: [String]
    /// Whether this report froze the request's status (its deadline had passed).
    let froze: Bool
    private let storage: any ClickStorage

    var request: ReadingRequest { grid.request }

    /// Readers whose cells are loaded at once: their readings of every document of the request.
    static let readersPerRead = 100

    /// Gathers the expected readers and their progress; the first report built after the deadline
    /// freezes the status at the deadline.
    static func make(_ request: ReadingRequest, storage: any ClickStorage, now: Date = Date()) async throws -> RequestReport {
        // The kept progress is read first, and the request, its readers, the policies and the
        // documents after it: a change to any of them sets the progress aside, so what is summed
        // up below is never saved under a generation older than what it was summed up from.
        guard var kept = try await storage.requestProgress(requestID: request.id),
            var request = try await storage.readingRequest(id: request.id)
        else { throw RequestGone() }
        var people: [String: Person] = [:]
        if let group = request.group {
            for person in try await storage.members(ofGroup: group) ?? [] { people[person.member] = person }
        }
        let listed = request.members.filter { people[$0] == nil }
        let known = try await storage.people(listed)
        for member in listed { people[member] = known[member] ?? Person(member: member) }
        let policies = try await SectionPolicies.load(storage)
        let columns = RequestGrid.columns(try await storage.requestReadings(documents: request.documents, members: []), policies: policies)
        var froze = false
        if request.frozenAt == nil, request.deadline <= now {
            froze = try await freeze(request, people: people, columns: columns, storage: storage, now: now)
            kept = try await storage.requestProgress(requestID: request.id) ?? kept
            request = try await storage.readingRequest(id: request.id) ?? request
        }
        // Frozen means past the deadline, whatever this instance's clock says.
        let now = request.frozenAt == nil ? now : max(now, request.deadline)
        let progress = try await Self.progress(request, kept: kept, members: Set(people.keys), columns: columns, storage: storage, now: now)
        var grid = RequestGrid(request: request, columns: columns, people: Array(people.values), progress: progress, now: now)
        if request.completedAt == nil, !grid.rows.isEmpty, !columns.isEmpty, grid.rows.allSatisfy({ $0.progress.documentsReadNow == columns.count }) {
            // When the last reader finished, as far as the evidence shows.
            let completedAt = grid.rows.compactMap(\.progress.completedAt).max() ?? now
            if try await storage.completeRequest(id: request.id, at: completedAt, announcing: try RequestMessages.completed(grid, at: completedAt)) {
                request.completedAt = completedAt
                grid = RequestGrid(request: request, columns: columns, people: Array(people.values), progress: progress, now: now)
            }
        }
        let untracked = request.documents.filter { path in (try? SectionPath(path)).flatMap(policies.section(for:)) == nil }
        return RequestReport(grid: grid, untrackedDocuments: untracked, froze: froze, storage: storage)
    }

    /// The request was deleted while its report was being made.
    struct RequestGone: Error, CustomStringConvertible {
        var description: String { "the reading request was deleted" }
    }

    /// The cells of some of the grid's rows with some of its columns, per member.
    func cells(rows: Range<Int>, columns: Range<Int>) async throws -> [String: [RequestGrid.Cell]] {
        try await cells(of: grid.rows[rows].map(\.person.member), columns: columns)
    }

    /// The cells of some of the expected readers with some of the grid's columns, per member.
    func cells(of members: [String], columns: Range<Int>) async throws -> [String: [RequestGrid.Cell]] {
        try await Self.cells(
            of: members,
            columns: Array(grid.columns[columns]),
            request: request,
            storage: storage,
            deadline: grid.isPastDeadline ? request.deadline : nil
        )
    }

    /// Loads the cells of `members`: their readings of the columns' documents and, once the
    /// request is frozen, their frozen cells.
    private static func cells(
        of members: [String],
        columns: [RequestGrid.Column],
        request: ReadingRequest,
        storage: any ClickStorage,
        deadline: Date?
    ) async throws -> [String: [RequestGrid.Cell]] {
        guard !members.isEmpty else { return [:] }
        let readings = try await storage.requestReadings(documents: columns.map(\.path), members: members)
        let frozen = request.frozenAt == nil ? [] : try await storage.frozenCells(requestID: request.id, members: members, paths: columns.map(\.path))
        return RequestGrid.cells(of: members, columns: columns, readings: readings, frozen: frozen, deadline: deadline)
    }

    /// What each path of the request names now (key and current path), as one SHA-256.
    private static func fingerprint(_ columns: [RequestGrid.Column]) -> String {
        var text = ""
        for column in columns { text += "\(column.path)\t\(column.document?.key ?? "")\t\(column.document?.path ?? "")\n" }
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Freezes the status at the deadline, a chunk of readers at a time, and tells the webhooks
    /// (in the same transaction as the freeze); `false` when another instance did it first.
    private static func freeze(
        _ request: ReadingRequest,
        people: [String: Person],
        columns: [RequestGrid.Column],
        storage: any ClickStorage,
        now: Date
    ) async throws -> Bool {
        var frozen: [String: [RequestGrid.Cell]] = [:]
        for chunk in people.keys.sorted().chunks(of: readersPerRead) {
            let cells = try await cells(of: Array(chunk), columns: columns, request: request, storage: storage, deadline: request.deadline)
            try await storage.addFrozenCells(RequestGrid.frozenCells(cells, columns: columns), requestID: request.id)
            frozen.merge(cells) { _, new in new }
        }
        let message = try RequestMessages.deadlinePassed(request, columns: columns, people: people, cells: frozen, at: request.deadline)
        return try await storage.freezeRequest(id: request.id, at: now, announcing: message)
    }

    /// Every expected reader's progress: what the store kept, summed up again for the readers
    /// whose evidence changed since (or all, when it was set aside), and kept again.
    private static func progress(
        _ request: ReadingRequest,
        kept: RequestProgress,
        members: Set<String>,
        columns: [RequestGrid.Column],
        storage: any ClickStorage,
        now: Date
    ) async throws -> [String: ReaderProgress] {
        // Everyone is summed up again when the kept progress was set aside, or when a path names
        // another document than it did (one moved away, another seen there): no trigger sees that.
        let documents = fingerprint(columns)
        let everyone = kept.asOf == nil || kept.documents != documents
        let (changed, asOf) = try await storage.changedReaders(documents: request.documents, since: everyone ? nil : kept.asOf)
        let stale = members.filter { everyone || changed.contains($0) || kept.readers[$0] == nil }.sorted()
        var progress = everyone ? [:] : kept.readers
        let deadline = request.deadline <= now ? request.deadline : nil
        for chunk in stale.chunks(of: readersPerRead) {
            let cells = try await cells(of: Array(chunk), columns: columns, request: request, storage: storage, deadline: deadline)
            let summed = cells.mapValues(ReaderProgress.init(cells:))
            progress.merge(summed) { _, new in new }
            try await storage.saveRequestProgress(summed, requestID: request.id, generation: kept.generation, asOf: nil)
        }
        if everyone || !stale.isEmpty || kept.asOf.map({ asOf.timeIntervalSince($0) > 60 }) ?? true {
            try await storage.saveRequestProgress([:], requestID: request.id, generation: kept.generation, asOf: (asOf, documents))
        }
        return progress
    }
}
