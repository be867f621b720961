import ClickTracker
import ClickTrackerHummingbird
import Foundation
import Hummingbird

/// Reading requests: the papers for a meeting, who must read them, by when; and the page that
/// shows, as one grid of readers × documents, who has read what (also as CSV and JSON).
struct RequestsController: Sendable {
    /// Readers per page of the grid, and documents per page of its columns.
    static let (readersPerPage, documentsPerPage) = (50, 20)

    let tracker: ClickTracker
    let documents: RequestDocuments
    let admin: AdminGate
    let pages: PageRenderer
    /// Sends reminders; `nil` when no mail is configured.
    let reminders: ReminderSender?
    let receipts: RequestReceipts

    var prefix: String { pages.collectorPath }

    func addRoutes(to router: Router<ServerRequestContext>) {
        router.get(RouterPath("\(prefix)/requests")) { request, context in
            try await admin.handle(request, context) { try await list(request, context: context) }
        }
        router.post(RouterPath("\(prefix)/requests")) { request, context in
            try await admin.handle(request, context) { try await change(request, context: context) }
        }
        router.get(RouterPath("\(prefix)/requests/:id")) { request, context in
            try await admin.handle(request, context) { try await show(request, context: context) }
        }
        router.get(RouterPath("\(prefix)/requests/:id/receipts/:receipt")) { request, context in
            try await admin.handle(request, context) { try await receipt(context: context) }
        }
    }

    func list(_ request: Request, context: ServerRequestContext) async throws -> Response {
        try await listPage(DoneNotice.text(request).map { ["doneNotice": $0] } ?? [:], context: context)
    }

    /// The requests and the form for a new one; `values` add to (or replace) the page's, such as
    /// a refused form's error and what was typed.
    private func listPage(_ values: [String: Any], status: HTTPResponse.Status = .ok, context: ServerRequestContext) async throws -> Response {
        let requests = try await tracker.storage.readingRequests().map { request -> [String: Any] in
            [
                "title": request.title, "url": "\(prefix)/requests/\(request.id)", "path": request.path.value,
                "documents": Self.plural(request.documents.count, "document"),
                "readers": request.group.map { "group \($0)" + (request.members.isEmpty ? "" : " and \(request.members.count) more") }
                    ?? Self.plural(request.members.count, "member"),
                "deadline": Self.format(request.deadline, timeZone: request.timeZone),
            ]
        }
        let typed = values["input"] as? [String: String] ?? [:]
        let groups = try await tracker.storage.groups().map { ["name": $0.name, "isChosen": $0.name == typed["group"]] }
        var page: [String: Any] = [
            "requests": requests, "groups": groups, "timeZones": Self.timeZones,
            "input": ["time-zone": TimeZone.current.identifier],
        ]
        page.merge(values) { _, new in new }
        return pages.page("requests", page, context: context, status: status)
    }

    /// Every time zone's name, for the deadline's picker.
    private static let timeZones = TimeZone.knownTimeZoneIdentifiers.sorted()

    func change(_ request: Request, context: ServerRequestContext) async throws -> Response {
        guard let form = try await admin.verifiedForm(request, context, limit: 256 * 1024) else { return admin.csrfRejected(context) }
        if form["action"] == "create" {
            switch try await create(form, createdBy: context.user?.name ?? "") {
            case .success(let id):
                return .redirect(to: DoneNotice.requestCreated.url("\(prefix)/requests/\(id)"), type: .found)
            case .failure(let error):
                // The form comes back with the error beside its field and everything typed kept.
                let fields = ["title", "path", "documents", "group", "members", "date", "time", "time-zone"]
                let input = Dictionary(uniqueKeysWithValues: fields.map { ($0, form[$0] ?? "") })
                return try await listPage(
                    ["input": input, "errors": [error.field: "The request was not created: \(error)"]],
                    status: .badRequest,
                    context: context
                )
            }
        }
        guard let id = form["id"].flatMap({ Int64($0) }), let stored = try await tracker.storage.readingRequest(id: id) else {
            return admin.message("No such request", "There is no reading request with that number.", context: context, status: .notFound)
        }
        var paths = stored.documents
        let done: DoneNotice
        let actor = context.user?.name ?? ""
        switch form["action"] {
        case "reminders":
            guard let hours = Reminder.parseSchedule(form["hours"] ?? "") else {
                return admin.badRequest(
                    "The reminders were not changed: give whole hours before the deadline, from 1 to 720, separated by commas, such as 48, 2 (at most 10; leave it empty for none).",
                    context: context
                )
            }
            try await tracker.storage.setReminderSchedule(requestID: id, hours: hours, at: Date(), by: actor)
            try await admin.audit(context, "reminders set", "\(id) \(stored.title): \(hours.map { "\($0) h" }.joined(separator: ", "))")
            return .redirect(to: DoneNotice.remindersSaved.url("\(prefix)/requests/\(id)#reminders"), type: .found)
        case "remind-now":
            // The page's nonce names the reminder: the same form posted twice sends once.
            guard let nonce = form["nonce"], nonce.count == 32, nonce.allSatisfy(\.isHexDigit) else {
                return admin.badRequest("Reload the request's page and press “Remind now” again.", context: context)
            }
            guard stored.deadline > Date() else {
                return admin.badRequest("The deadline has passed: there is nothing left to remind people of.", context: context)
            }
            guard let reminders else {
                return admin.badRequest(
                    "Reminders cannot be sent: no mail server is set up. An administrator of the server sets one up in its configuration (see the README).",
                    context: context
                )
            }
            let now = Date()
            if try await tracker.storage.addReminder(Reminder(requestID: id, name: "now-\(nonce)", dueAt: now, setAt: now, setBy: actor)) {
                try await admin.audit(context, "reminder asked for", "\(id) \(stored.title)")
                Task { await reminders.sendDueLogged() }
            }
            return .redirect(to: DoneNotice.reminderQueued.url("\(prefix)/requests/\(id)#reminders"), type: .found)
        case "receipt":
            guard try await receipts.issue(stored, reason: .onDemand, by: actor) != nil else {
                return admin.message("No such request", "The reading request was deleted meanwhile.", context: context, status: .notFound)
            }
            try await admin.audit(context, "receipt issued", "\(id) \(stored.title)")
            return .redirect(to: DoneNotice.receiptIssued.url("\(prefix)/requests/\(id)#receipts"), type: .found)
        case "delete":
            guard form["confirmed"] == "yes" else {
                return admin.confirmation(
                    "Delete the reading request “\(stored.title)”?",
                    "The request, its readers' status and the status frozen at its deadline are deleted. What people have read is kept, "
                        + "and stays on the Tracking pages.",
                    button: "Delete the request",
                    action: "\(prefix)/requests",
                    fields: [("action", "delete"), ("id", String(id))],
                    cancel: "\(prefix)/requests/\(id)",
                    context: context
                )
            }
            try await tracker.storage.deleteReadingRequest(id: id)
            return .redirect(to: DoneNotice.requestDeleted.url("\(prefix)/requests"), type: .found)
        case "add-documents":
            switch RequestDocuments.parse(form["documents"] ?? "") {
            case .success(let added) where !added.isEmpty: paths += added
            case .success: return admin.badRequest("Name at least one document path, such as /papers/budget.html.", context: context)
            case .failure(let error): return admin.badRequest("The documents were not added: \(error)", context: context)
            }
            done = .documentsAdded
        case "find-documents":
            paths += try await documents.under(stored.path)
            done = .documentsAdded
        case "remove-document":
            paths.removeAll { $0 == form["path"] }
            done = .documentRemoved
        default:
            return admin.badRequest(
                "The action must be create, delete, add-documents, find-documents, remove-document, reminders, remind-now or receipt.",
                context: context
            )
        }
        try await tracker.storage.setRequestDocuments(paths, requestID: id)
        return .redirect(to: done.url("\(prefix)/requests/\(id)#documents"), type: .found)
    }

    /// Creates the request a form asks for, with the documents under its path and those named.
    private func create(_ form: FormFields, createdBy: String) async throws -> Result<Int64, InvalidRequest> {
        do {
            var new = try Self.newRequest(form, createdBy: createdBy).get()
            new.documents = try await documents.under(new.path) + RequestDocuments.parse(form["documents"] ?? "").get()
            guard !new.documents.isEmpty else {
                throw InvalidRequest(
                    field: "documents",
                    description: "no documents were found under \(new.path.value). Name the documents to read under “Documents not seen yet”."
                )
            }
            let id = try await tracker.storage.addReadingRequest(new)
            try await tracker.storage.setReminderSchedule(requestID: id, hours: Reminder.defaultHours, at: Date(), by: createdBy)
            return .success(id)
        } catch let error as InvalidRequest {
            return .failure(error)
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
        let parameters = request.uri.queryParameters
        let page = (
            readers: max(1, parameters["page"].flatMap { Int(String($0)) } ?? 1),
            documents: max(1, parameters["documents"].flatMap { Int(String($0)) } ?? 1)
        )
        let selection = GridSelection(parameters)
        let rows = selection.rows(of: report.grid)
        let window = RequestPage.Window(rows: rows.count, columns: report.grid.columns.count, page: page)
        let cells = try await report.cells(of: rows[window.rows].map(\.person.member), columns: window.columns)
        var values = RequestPage(report: report, rows: rows, selection: selection, window: window, cells: cells, prefix: prefix).values()
        values["doneNotice"] = DoneNotice.text(request)
        values.merge(try await reminderValues(report)) { _, new in new }
        let formatter = ShortDate(timeZone: TimeZone(identifier: stored.timeZone) ?? .gmt)
        values["receipts"] = try await tracker.storage.receipts(requestID: id).map { receipt -> [String: Any] in
            [
                "issued": formatter.string(receipt.issuedAt),
                "reason": receipt.reason == .deadline ? "the deadline passed" : "asked for",
                "by": receipt.issuedBy,
                "url": "\(prefix)/requests/\(id)/receipts/\(receipt.id)",
            ]
        }
        return pages.page("request", values, context: context)
    }

    /// A receipt's file, as issued.
    func receipt(context: ServerRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self), let receiptID = context.parameters.get("receipt", as: Int64.self),
            let receipt = try await tracker.storage.receipt(id: receiptID), receipt.requestID == id
        else {
            return admin.message("No such receipt", "There is no receipt with that number for this request.", context: context, status: .notFound)
        }
        try await admin.audit(context, "receipt downloaded", "\(id) receipt \(receiptID)")
        let day = receipt.issuedAt.formatted(.iso8601.year().month().day())
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.contentDisposition] = "attachment; filename=\"receipt-request-\(id)-\(receiptID)-\(day).json\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: receipt.body)))
    }

    /// The reminders section: the schedule, each reminder's state, each mail, and who cannot be
    /// reminded (no email address).
    private func reminderValues(_ report: RequestReport) async throws -> [String: Any] {
        let request = report.request
        let formatter = ShortDate(timeZone: TimeZone(identifier: request.timeZone) ?? .gmt)
        let reminders = try await tracker.storage.reminders(requestID: request.id)
        let rows = reminders.map { reminder -> [String: Any] in
            let label = reminder.hoursBefore.map { "\(Self.plural($0, "hour")) before the deadline" } ?? "“Remind now” by \(reminder.setBy)"
            let state: String
            switch reminder.state {
            case .pending: state = "waiting"
            case .sending: state = "being sent"
            case .sent: state = "sent \(reminder.finishedAt.map { formatter.string($0) } ?? "")"
            case .skipped: state = "not sent: its time had passed when it was set"
            case .superseded: state = "not sent: a later reminder went out instead"
            case .missed: state = "not sent: the deadline passed before it could go out"
            }
            return ["label": label, "due": formatter.string(reminder.dueAt), "state": state]
        }
        let hours = reminders.compactMap { $0.state == .skipped ? nil : $0.hoursBefore }
        let mails = try await tracker.storage.reminderMails(requestID: request.id).prefix(200).map { mail -> [String: Any] in
            [
                "member": mail.member, "email": mail.email ?? "", "at": formatter.string(mail.at),
                "reminder": reminders.first { $0.name == mail.reminder }?.hoursBefore.map { "\($0) h before" } ?? "remind now",
                "state": mail.state != .sending
                    ? mail.state.rawValue
                    : Date().timeIntervalSince(mail.at) < ReminderSender.lease ? "being sent" : "not known (the server stopped while sending it)",
                "detail": mail.detail ?? "", "stateClass": mail.state == .sent ? "read" : "not-opened",
            ]
        }
        let unreachable = report.grid.rows.map(\.person).filter { person in person.email.map { !MailMessage.isAddress($0) } ?? true }
        var nonce = SystemRandomNumberGenerator()
        var values: [String: Any] = [
            "reminders": rows, "reminderHours": hours.map(String.init).joined(separator: ", "), "mails": Array(mails),
            "unreachable": unreachable.map(\.label).sorted().joined(separator: ", "), "hasUnreachable": !unreachable.isEmpty,
            "remindNonce": (0..<16).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &nonce)) }.joined(),
            "canRemind": !report.grid.isPastDeadline && self.reminders != nil,
        ]
        if let reminders = self.reminders {
            values["mailSummary"] = "Reminders go out \(reminders.transport.summary), from \(reminders.settings.from.email)."
        } else {
            values["mailMissing"] = true
        }
        return values
    }

    /// "3 days left", "5 hours left", "less than an hour left".
    static func timeLeft(until deadline: Date, now: Date) -> String {
        let hours = Int(deadline.timeIntervalSince(now) / 3600)
        if hours >= 48 { return "\(hours / 24) days left" }
        if hours >= 1 { return "\(plural(hours, "hour")) left" }
        return "less than an hour left"
    }

    /// "1 document", "3 documents".
    static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    /// Why a request form was refused, and the field at fault (`title`, `path`, `members`,
    /// `documents`, `date`, `time-zone`).
    struct InvalidRequest: Error, CustomStringConvertible {
        let field: String
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
            return .failure(
                InvalidRequest(field: "title", description: "the title must have 1 to 200 characters, without line breaks or control characters.")
            )
        }
        guard let path = try? SectionPath(path), !path.isRoot else {
            return .failure(InvalidRequest(field: "path", description: "the document or section must be a path below the root, such as /papers."))
        }
        let group = group.flatMap { $0.isEmpty ? nil : $0 }
        guard members.allSatisfy({ (1...256).contains($0.utf8.count) }), members.count <= 10_000 else {
            return .failure(InvalidRequest(field: "members", description: "the members must be user ids separated by commas or spaces."))
        }
        guard group != nil || !members.isEmpty else {
            return .failure(InvalidRequest(field: "members", description: "name a group or at least one member who is expected to read it."))
        }
        guard let zone = TimeZone(identifier: timeZone) else {
            return .failure(InvalidRequest(field: "time-zone", description: "the time zone must be a name such as Europe/Berlin or UTC."))
        }
        guard let deadline = deadline(date: date, time: time, zone: zone) else {
            return .failure(InvalidRequest(field: "date", description: "the deadline needs a date (2026-12-03) and a time (10:00)."))
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
