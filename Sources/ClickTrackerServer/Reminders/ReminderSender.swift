import ClickTracker
import Foundation
import Logging

/// Sends the reminders that are due: to every expected reader of the request who has not yet read
/// all of its documents, a mail listing what is still unread, with links. A reminder is claimed
/// before it is sent and each reader's mail before it goes out, so nobody gets one twice, whatever
/// the number of instances or restarts; what became of each mail is kept and audited.
struct ReminderSender: Sendable {
    let storage: any ClickStorage
    let transport: any MailTransport
    let settings: MailSettings
    let logger: Logger

    /// How long an instance holds a reminder it sends before another may finish it.
    static let lease: TimeInterval = 600

    /// Sends every reminder due at `now`. When several of one request are due (the server was
    /// stopped meanwhile), only the latest is sent and the others are skipped.
    func sendDue() async throws {
        let due = try await storage.dueReminders(at: Date())
        for (requestID, reminders) in Dictionary(grouping: due, by: \.requestID) {
            do {
                try await sendLatest(of: reminders, requestID: requestID)
            } catch {
                logger.warning("Could not send the reminder of reading request \(requestID): \(error)")
            }
        }
    }

    /// ``sendDue()`` for a button: errors are logged, not thrown.
    func sendDueLogged() async {
        do {
            try await sendDue()
        } catch {
            logger.warning("Could not send the reminders that are due: \(error)")
        }
    }

    private func sendLatest(of reminders: [Reminder], requestID: Int64) async throws {
        let ordered = reminders.sorted { ($0.dueAt, $0.name) < ($1.dueAt, $1.name) }
        guard let request = try await storage.readingRequest(id: requestID), let latest = ordered.last else { return }
        // The clock is read for each request: sending the one before may have taken a while.
        let now = Date()
        for earlier in ordered.dropLast() where earlier.state == .pending {
            try await storage.finishReminder(requestID: requestID, name: earlier.name, state: .superseded, at: now)
        }
        guard try await storage.claimReminder(requestID: requestID, name: latest.name, now: now, leaseUntil: now.addingTimeInterval(Self.lease))
        else { return }
        if request.deadline <= now {
            // The deadline passed before the reminder could go out: too late to remind.
            try await storage.finishReminder(requestID: requestID, name: latest.name, state: .missed, at: now)
            return
        }
        try await send(latest, of: request)
        try await storage.finishReminder(requestID: requestID, name: latest.name, state: .sent, at: Date())
    }

    /// Mails every expected reader who has not read everything.
    private func send(_ reminder: Reminder, of request: ReadingRequest) async throws {
        let report = try await RequestReport.make(request, storage: storage)
        let columns = report.grid.columns
        let behind = report.grid.rows.filter { $0.progress.documentsReadNow < columns.count }
        logger.info("Reminder \(reminder.name) of reading request \(request.id): \(behind.count) readers have not read everything")
        for chunk in behind.chunks(of: RequestReport.readersPerRead) {
            let cells = try await report.cells(of: chunk.map(\.person.member), columns: 0..<columns.count)
            for row in chunk {
                let unread = zip(columns, cells[row.person.member] ?? []).filter { $0.1.now < .read }.map(\.0)
                try await mail(row.person, unread: unread, total: columns.count, reminder: reminder, request: request)
            }
        }
    }

    private func mail(_ person: Person, unread: [RequestGrid.Column], total: Int, reminder: Reminder, request: ReadingRequest) async throws {
        var record = ReminderMail(
            requestID: request.id,
            reminder: reminder.name,
            member: person.member,
            email: person.email,
            state: .sending,
            at: Date()
        )
        let address = person.email.flatMap { MailMessage.isAddress($0) ? $0 : nil }
        if address == nil {
            record.state = .noAddress
            record.detail = person.email.map { "“\($0)” is not an email address" } ?? "no email address is known"
        }
        // Claimed first: a reader already mailed (by any instance) is not mailed again.
        guard try await storage.claimReminderMail(record) else { return }
        let actor = reminder.hoursBefore == nil ? reminder.setBy : "reminder"
        let subject = "request \(request.id) \(request.title): \(person.member)"
        guard let address else {
            try await storage.recordAudit(
                AuditEntry(at: Date(), actor: actor, action: "reminder not sent", subject: "\(subject), \(record.detail ?? "")")
            )
            return
        }
        let message = MailMessage(
            from: settings.from,
            to: .init(name: person.displayName, email: address),
            subject: "Reminder: please read “\(request.title)” by \(RequestsController.format(request.deadline, timeZone: request.timeZone))",
            body: body(person, unread: unread, total: total, request: request)
        )
        do {
            try await transport.send(message)
            record.state = .sent
            record.detail = nil
        } catch {
            record.state = .failed
            record.detail = "\(error)"
            logger.warning("Reminder \(reminder.name) of reading request \(request.id) to \(person.member) failed: \(error)")
        }
        record.at = Date()
        try await storage.finishReminderMail(record)
        let action = record.state == .sent ? "reminder sent" : "reminder failed"
        try await storage.recordAudit(
            AuditEntry(at: record.at, actor: actor, action: action, subject: "\(subject) <\(address)>" + (record.detail.map { ", \($0)" } ?? ""))
        )
    }

    private func body(_ person: Person, unread: [RequestGrid.Column], total: Int, request: ReadingRequest) -> String {
        var text = "Hello \(person.label),\n\n"
        text += "This is a reminder to read the papers for “\(request.title)” by "
        text += "\(RequestsController.format(request.deadline, timeZone: request.timeZone)).\n\n"
        text += "Still to read (\(unread.count) of \(total)):\n"
        for column in unread {
            text += "\n- \(column.label)\n  \(settings.link(to: column.document?.path ?? column.path))\n"
        }
        text += "\nYour reading is recorded when you open each document while signed in and take the time to read it.\n"
        text += "\n-- \nClickTracker, for \(request.createdBy.isEmpty ? "the organiser" : request.createdBy)\n"
        return text
    }
}

/// Where reminders come from and how they link to the documents (`mail.*` in the configuration).
public struct MailSettings: Sendable {
    /// The sender, `mail.from` ("Board office <board@example.org>").
    var from: MailMessage.Address
    /// The site's address as readers open it (`mail.site_url`), put before each document's path.
    var siteURL: String

    /// The link to a document's path.
    func link(to path: String) -> String {
        let encoded = (try? SectionPath(path)).map(\.urlEncoded) ?? path
        return siteURL.hasSuffix("/") ? String(siteURL.dropLast()) + encoded : siteURL + encoded
    }

    /// Reads `Name <address>` or a bare address.
    static func parseSender(_ text: String) -> MailMessage.Address? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            let email = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            let name = trimmed[..<open].trimmingCharacters(in: CharacterSet(charactersIn: " \""))
            return MailMessage.isAddress(email) ? .init(name: name.isEmpty ? nil : name, email: email) : nil
        }
        return MailMessage.isAddress(trimmed) ? .init(name: nil, email: trimmed) : nil
    }
}
