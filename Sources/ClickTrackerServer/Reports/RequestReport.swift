import ClickTracker
import Foundation

/// The report of one reading request: who was expected, where each stood at the deadline, who
/// caught up late.
struct RequestReport: Sendable {
    let request: ReadingRequest
    let statuses: [RequestStatus]
    let documents: [DocumentReference]
    let isTracked: Bool

    /// Gathers the expected readers and judges them on the evidence at the deadline and now.
    static func make(_ request: ReadingRequest, storage: any ClickStorage) async throws -> RequestReport {
        var people: [String: Person] = [:]
        if let group = request.group {
            for person in try await storage.members(ofGroup: group) ?? [] { people[person.member] = person }
        }
        let listed = request.members.filter { people[$0] == nil }
        let known = try await storage.people(listed)
        for member in listed { people[member] = known[member] ?? Person(member: member) }
        let members = Array(people.keys)
        let section = try await SectionPolicies.load(storage).section(for: request.path)
        let atDeadline = try await storage.requestEvidence(section: request.path, members: members, until: request.deadline)
        let now = try await storage.requestEvidence(section: request.path, members: members, until: nil)
        let statuses = RequestStatus.judge(
            Array(people.values),
            documents: now.documents,
            atDeadline: atDeadline.readers,
            now: now.readers,
            policy: section?.policy ?? .standard
        )
        return RequestReport(request: request, statuses: statuses, documents: now.documents, isTracked: section != nil)
    }

    /// How many had read it by the deadline, only opened it, not looked at all, and caught up late.
    var counts: (read: Int, opened: Int, notOpened: Int, late: Int) {
        (
            statuses.filter(\.hadReadByDeadline).count,
            statuses.filter { $0.atDeadline == .opened }.count,
            statuses.filter { $0.atDeadline == .notOpened }.count,
            statuses.filter(\.isLate).count
        )
    }
}
