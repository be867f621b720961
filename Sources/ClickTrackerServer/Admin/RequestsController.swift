import ClickTracker
import ClickTrackerHummingbird
import Foundation
import Hummingbird

/// Reading requests: the papers for a meeting, who must read them, by when; and the page that
/// shows who has, who only opened them and who has not looked (also as CSV and JSON).
struct RequestsController: Sendable {
    let tracker: ClickTracker
    let admin: AdminGate
    let pages: PageRenderer

    var prefix: String { pages.collectorPath }

    func addRoutes(to router: Router<ServerRequestContext>) {
        router.get(RouterPath("\(prefix)/requests")) { request, context in
            try await admin.handle(request, context) { try await list(context: context) }
        }
        router.post(RouterPath("\(prefix)/requests")) { request, context in
            try await admin.handle(request, context) { try await change(request, context: context) }
        }
        router.get(RouterPath("\(prefix)/requests/:id")) { request, context in
            try await admin.handle(request, context) { try await show(request, context: context) }
        }
    }

    func list(context: ServerRequestContext) async throws -> Response {
        let requests = try await tracker.storage.readingRequests().map { request -> [String: Any] in
            [
                "title": request.title, "url": "\(prefix)/requests/\(request.id)", "path": request.path.value,
                "readers": request.group.map { "group \($0)" + (request.members.isEmpty ? "" : " and \(request.members.count) more") }
                    ?? "\(request.members.count) members",
                "deadline": Self.format(request.deadline, timeZone: request.timeZone),
            ]
        }
        let groups = try await tracker.storage.groups().map(\.name)
        return pages.page(
            "requests",
            ["requests": requests, "groups": groups, "timeZone": TimeZone.current.identifier],
            context: context
        )
    }

    func change(_ request: Request, context: ServerRequestContext) async throws -> Response {
        guard let form = try await admin.verifiedForm(request, context, limit: 256 * 1024) else { return admin.csrfRejected(context) }
        switch form["action"] {
        case "create":
            switch Self.newRequest(form, createdBy: context.user?.name ?? "") {
            case .success(let new):
                let id = try await tracker.storage.addReadingRequest(new)
                return .redirect(to: "\(prefix)/requests/\(id)", type: .found)
            case .failure(let error):
                return admin.badRequest("The request was not created: \(error)", context: context)
            }
        case "delete":
            guard let id = form["id"].flatMap({ Int64($0) }) else { return admin.badRequest("No request was named.", context: context) }
            try await tracker.storage.deleteReadingRequest(id: id)
            return .redirect(to: "\(prefix)/requests", type: .found)
        default:
            return admin.badRequest("The action must be create or delete.", context: context)
        }
    }

    func show(_ request: Request, context: ServerRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self), let stored = try await tracker.storage.readingRequest(id: id) else {
            return admin.message("No such request", "There is no reading request with that number.", context: context, status: .notFound)
        }
        let report = try await RequestReport.make(stored, storage: tracker.storage)
        let format = try AdminGate.downloadFormat(request)
        try await admin.audit(context, "request \(format?.rawValue ?? "page")", "\(id) \(stored.title)")
        if let format {
            return try await Reports.request(report).start().response(format, download: "request-\(id)")
        }
        return pages.page("request", values(report), context: context)
    }

    private func values(_ report: RequestReport) -> [String: Any] {
        let request = report.request
        let counts = report.counts
        let now = Date()
        let span = max(1, request.deadline.timeIntervalSince(request.createdAt))
        let elapsed = min(max(0, now.timeIntervalSince(request.createdAt)), span)
        let rows = report.statuses.map { status -> [String: Any] in
            var row: [String: Any] = [
                "member": status.person.member,
                "stage": status.atDeadline.rawValue,
                "stageClass": status.atDeadline.rawValue.replacingOccurrences(of: " ", with: "-"),
                "now": status.isLate ? "\(status.now.rawValue), after the deadline" : "",
                "documents": "\(status.documentsReadAtDeadline) of \(report.documents.count)",
                "lastView": status.lastView.map { Self.format($0, timeZone: request.timeZone) } ?? "",
            ]
            if let name = status.person.displayName { row["name"] = name }
            return row
        }
        return [
            "id": request.id,
            "title": request.title,
            "path": request.path.value,
            "trackingURL": "\(prefix)/tracking?path=\(SiteController.queryValue(request.path.value))",
            "untracked": !report.isTracked,
            "group": request.group ?? "",
            "deadline": Self.format(request.deadline, timeZone: request.timeZone),
            "passed": now >= request.deadline,
            "percent": Int(elapsed / span * 100),
            "summary": "\(counts.read) of \(report.statuses.count) had read it by the deadline",
            "opened": counts.opened,
            "notOpened": counts.notOpened,
            "late": counts.late,
            "documentCount": report.documents.count,
            "rows": rows,
            "chart": ReadsChart.values(
                firstViews: report.statuses.compactMap(\.firstView),
                total: report.statuses.count,
                from: request.createdAt,
                deadline: request.deadline,
                now: now,
                timeZone: request.timeZone,
                subject: "expected readers"
            ),
            "csvURL": "\(prefix)/requests/\(request.id)?format=csv",
            "jsonURL": "\(prefix)/requests/\(request.id)?format=json",
        ]
    }

    /// Why a request form was refused.
    struct InvalidRequest: Error, CustomStringConvertible {
        let description: String
    }

    /// The request a form asks for: a title, a path, a group and/or members, and a deadline given
    /// as a date and a time in a time zone.
    static func newRequest(_ form: FormFields, createdBy: String) -> Result<ReadingRequest, InvalidRequest> {
        let members = (form["members"] ?? "").split { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\r" }.map(String.init)
        return newRequest(
            title: form["title"] ?? "",
            path: form["path"] ?? "",
            group: form["group"],
            members: members,
            date: form["date"] ?? "",
            time: form["time"] ?? "",
            timeZone: form["time-zone"] ?? "",
            createdBy: createdBy
        )
    }

    /// A request from its parts, checked: the form and the JSON API make requests alike.
    static func newRequest(
        title: String,
        path: String,
        group: String?,
        members: [String],
        date: String,
        time: String,
        timeZone: String,
        createdBy: String
    ) -> Result<ReadingRequest, InvalidRequest> {
        let title = title.trimmingCharacters(in: .whitespaces)
        guard (1...200).contains(title.count), !title.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return .failure(InvalidRequest(description: "the title must have 1 to 200 characters, without line breaks or control characters."))
        }
        guard let path = try? SectionPath(path), !path.isRoot else {
            return .failure(InvalidRequest(description: "the document or section must be a path below the root, such as /papers."))
        }
        let group = group.flatMap { $0.isEmpty ? nil : $0 }
        guard members.allSatisfy({ (1...256).contains($0.utf8.count) }), members.count <= 10_000 else {
            return .failure(InvalidRequest(description: "the members must be user ids separated by commas or spaces."))
        }
        guard group != nil || !members.isEmpty else {
            return .failure(InvalidRequest(description: "name a group or at least one member who is expected to read it."))
        }
        guard let zone = TimeZone(identifier: timeZone) else {
            return .failure(InvalidRequest(description: "the time zone must be a name such as Europe/Berlin or UTC."))
        }
        guard let deadline = deadline(date: date, time: time, zone: zone) else {
            return .failure(InvalidRequest(description: "the deadline needs a date (2026-12-03) and a time (10:00)."))
        }
        return .success(
            ReadingRequest(
                title: title,
                path: path,
                group: group,
                members: members,
                deadline: deadline,
                timeZone: zone.identifier,
                createdBy: createdBy
            )
        )
    }

    /// A wall-clock date and time in a time zone, as an instant.
    static func deadline(date: String, time: String, zone: TimeZone) -> Date? {
        let day = date.split(separator: "-").compactMap { Int($0) }
        let clock = time.split(separator: ":").compactMap { Int($0) }
        guard day.count == 3, (2...3).contains(clock.count) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(
            year: day[0],
            month: day[1],
            day: day[2],
            hour: clock[0],
            minute: clock[1],
            second: clock.count == 3 ? clock[2] : 0
        )
        guard components.isValidDate(in: calendar) else { return nil }
        return calendar.date(from: components)
    }

    /// "Thursday 3 December 2026, 10:00 (Europe/Berlin)".
    static func format(_ date: Date, timeZone: String) -> String {
        let zone = TimeZone(identifier: timeZone) ?? .gmt
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = zone
        formatter.dateFormat = "EEEE d MMMM yyyy, HH:mm"
        return "\(formatter.string(from: date)) (\(zone.identifier))"
    }
}
