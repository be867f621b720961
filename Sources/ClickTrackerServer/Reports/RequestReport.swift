import ClickTracker
import Foundation

/// The report of one reading request: its grid of expected readers × documents, and which of its
/// documents are outside every tracked section (nothing is recorded for them).
struct RequestReport: Sendable {
    let grid: RequestGrid
    let untrackedDocuments: [String]

    var request: ReadingRequest { grid.request }

    /// Gathers the expected readers and their readings of the request's documents; the first
    /// report built after the deadline freezes the status at the deadline.
    static func make(_ request: ReadingRequest, storage: any ClickStorage, now: Date = Date()) async throws -> RequestReport {
        var people: [String: Person] = [:]
        if let group = request.group {
            for person in try await storage.members(ofGroup: group) ?? [] { people[person.member] = person }
        }
        let listed = request.members.filter { people[$0] == nil }
        let known = try await storage.people(listed)
        for member in listed { people[member] = known[member] ?? Person(member: member) }
        let policies = try await SectionPolicies.load(storage)
        let readings = try await storage.requestReadings(documents: request.documents, members: Array(people.keys))
        let frozen = request.frozenAt == nil ? [] : try await storage.frozenCells(requestID: request.id)
        let grid = RequestGrid(request: request, people: Array(people.values), readings: readings, policies: policies, frozen: frozen, now: now)
        if request.frozenAt == nil, grid.isPastDeadline {
            try await storage.freezeRequest(id: request.id, at: now, cells: grid.cellsToFreeze)
        }
        let untracked = request.documents.filter { path in (try? SectionPath(path)).flatMap(policies.section(for:)) == nil }
        return RequestReport(grid: grid, untrackedDocuments: untracked)
    }
}
