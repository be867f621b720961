import ClickTracker
import Foundation

/// The report of one reading request: who was expected, where each stood at the deadline, who
/// caught up late; the same rows for the page, CSV and JSON.
struct RequestReport: Sendable {
    let request: ReadingRequest
    let statuses: [RequestStatus]
    let documents: [DocumentReference]
    let isTracked: Bool

    /// Gathers the expected readers and judges them on the evidence at the deadline and now.
    static func make(_ request: ReadingRequest, tracker: ClickTracker) async throws -> RequestReport {
        let storage = tracker.storage
        var people: [String: Person] = [:]
        if let group = request.group {
            for person in try await storage.members(ofGroup: group) ?? [] { people[person.member] = person }
        }
        let listed = request.members.filter { people[$0] == nil }
        let known = try await storage.people(listed)
        for member in listed { people[member] = known[member] ?? Person(member: member) }
        let members = Array(people.keys)
        let section = try await tracker.trackingSection(for: request.path)
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

    /// The column names of the export, in order.
    static let columns = [
        "user", "name", "email", "status_at_deadline", "late", "status_now", "documents_read_at_deadline", "documents_read_now", "documents",
        "last_view",
    ]

    /// One row per reader, as the export writes it (times in UTC, ISO 8601).
    var rows: [[String]] {
        statuses.map { status in
            [
                status.person.member, status.person.displayName ?? "", status.person.email ?? "", status.atDeadline.rawValue,
                status.isLate ? "yes" : "no", status.now.rawValue, String(status.documentsReadAtDeadline), String(status.documentsReadNow),
                String(documents.count), status.lastView.map(Self.iso8601) ?? "",
            ]
        }
    }

    /// The report as CSV, with a header row; values a spreadsheet would run as formulas are defused.
    var csv: String {
        ([Self.columns] + rows).map { $0.map(PeopleCSV.field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// The report as JSON: the request, the counts and the rows (keys as in the CSV header).
    func json() throws -> Data {
        let counts = counts
        let object: [String: Any] = [
            "request": [
                "id": request.id, "title": request.title, "path": request.path.value, "group": request.group.map { $0 as Any } ?? NSNull(),
                "members": request.members, "deadline": Self.iso8601(request.deadline), "time_zone": request.timeZone,
            ],
            "counts": [
                "expected": statuses.count, "read": counts.read, "opened": counts.opened, "not_opened": counts.notOpened, "late": counts.late,
            ],
            "readers": rows.map { Dictionary(uniqueKeysWithValues: zip(Self.columns, $0)) },
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    static func iso8601(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
