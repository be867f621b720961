import ClickTracker
import Foundation
import SQLiteNIO

extension SQLiteStore {
    public func reminders(requestID: Int64) async throws -> [Reminder] {
        try await reader.query("\(Self.reminderColumns) WHERE request_id = ? ORDER BY due_at, name", [.integer(Int(requestID))])
            .compactMap(Self.reminder)
    }

    @discardableResult
    public func setReminderSchedule(requestID: Int64, hours: [Int], at time: Date, by actor: String) async throws -> Bool {
        let now = Self.milliseconds(time)
        return try await transaction { connection in
            guard
                let deadline = try connection.query("SELECT deadline FROM reading_request WHERE id = ?", [.integer(Int(requestID))])
                    .first?.column("deadline")?.integer
            else { return false }
            let names = Set(hours.map(Reminder.name(hoursBefore:)))
            for row in try connection.query(
                "SELECT name FROM request_reminder WHERE request_id = ? AND state = 'pending' AND name NOT LIKE 'now-%'",
                [.integer(Int(requestID))]
            ) {
                guard let name = row.column("name")?.string, !names.contains(name) else { continue }
                _ = try connection.query("DELETE FROM request_reminder WHERE request_id = ? AND name = ?", [.integer(Int(requestID)), .text(name)])
            }
            for hour in hours {
                let due = deadline - hour * 3_600_000
                _ = try connection.query(
                    """
                    INSERT INTO request_reminder (request_id, name, due_at, set_at, set_by, state, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (request_id, name) DO NOTHING
                    """,
                    [
                        .integer(Int(requestID)), .text(Reminder.name(hoursBefore: hour)), .integer(due), .integer(now), .text(actor),
                        .text(due < now ? "skipped" : "pending"), due < now ? .integer(now) : .null,
                    ]
                )
            }
            return true
        }
    }

    @discardableResult
    public func addReminder(_ reminder: Reminder) async throws -> Bool {
        try await transaction { connection in
            try !connection.query(
                """
                INSERT INTO request_reminder (request_id, name, due_at, set_at, set_by, state)
                SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM reading_request WHERE id = ?)
                ON CONFLICT (request_id, name) DO NOTHING RETURNING name
                """,
                [
                    .integer(Int(reminder.requestID)), .text(reminder.name), .integer(Self.milliseconds(reminder.dueAt)),
                    .integer(Self.milliseconds(reminder.setAt)), .text(reminder.setBy), .text(reminder.state.rawValue),
                    .integer(Int(reminder.requestID)),
                ]
            ).isEmpty
        }
    }

    public func dueReminders(at now: Date) async throws -> [Reminder] {
        let now = Self.milliseconds(now)
        return try await reader.query(
            """
            \(Self.reminderColumns)
            WHERE due_at <= ? AND (state = 'pending' OR (state = 'sending' AND leased_until <= ?)) ORDER BY due_at, request_id, name
            """,
            [.integer(now), .integer(now)]
        ).compactMap(Self.reminder)
    }

    public func claimReminder(requestID: Int64, name: String, now: Date, leaseUntil: Date) async throws -> Bool {
        let now = Self.milliseconds(now)
        return try await transaction { connection in
            try !connection.query(
                """
                UPDATE request_reminder SET state = 'sending', leased_until = ?
                WHERE request_id = ? AND name = ? AND due_at <= ? AND (state = 'pending' OR (state = 'sending' AND leased_until <= ?))
                RETURNING name
                """,
                [.integer(Self.milliseconds(leaseUntil)), .integer(Int(requestID)), .text(name), .integer(now), .integer(now)]
            ).isEmpty
        }
    }

    public func finishReminder(requestID: Int64, name: String, state: Reminder.State, at time: Date) async throws {
        try await transaction { connection in
            _ = try connection.query(
                "UPDATE request_reminder SET state = ?, finished_at = ?, leased_until = NULL WHERE request_id = ? AND name = ? AND state = ?",
                [
                    .text(state.rawValue), .integer(Self.milliseconds(time)), .integer(Int(requestID)), .text(name),
                    .text(state == .superseded ? "pending" : "sending"),
                ]
            )
        }
    }

    public func claimReminderMail(_ mail: ReminderMail) async throws -> Bool {
        try await transaction { connection in
            try !connection.query(
                """
                INSERT INTO reminder_mail (request_id, reminder, member, email, state, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (request_id, reminder, member) DO NOTHING RETURNING member
                """,
                Self.binds(mail)
            ).isEmpty
        }
    }

    public func finishReminderMail(_ mail: ReminderMail) async throws {
        try await transaction { connection in
            _ = try connection.query(
                "UPDATE reminder_mail SET email = ?, state = ?, detail = ?, at = ? WHERE request_id = ? AND reminder = ? AND member = ?",
                [
                    Self.optional(mail.email), .text(mail.state.rawValue), Self.optional(mail.detail), .integer(Self.milliseconds(mail.at)),
                    .integer(Int(mail.requestID)), .text(mail.reminder), .text(mail.member),
                ]
            )
        }
    }

    public func reminderMails(requestID: Int64) async throws -> [ReminderMail] {
        try await reader.query(
            "SELECT request_id, reminder, member, email, state, detail, at FROM reminder_mail WHERE request_id = ? ORDER BY at DESC, member",
            [.integer(Int(requestID))]
        ).compactMap { row in
            guard let state = row.column("state")?.string.flatMap(ReminderMail.State.init(rawValue:)) else { return nil }
            return ReminderMail(
                requestID: Int64(row.column("request_id")?.integer ?? 0),
                reminder: row.column("reminder")?.string ?? "",
                member: row.column("member")?.string ?? "",
                email: row.column("email")?.string,
                state: state,
                detail: row.column("detail")?.string,
                at: Self.date(row.column("at"))
            )
        }
    }

    private static func binds(_ mail: ReminderMail) -> [SQLiteData] {
        [
            .integer(Int(mail.requestID)), .text(mail.reminder), .text(mail.member), optional(mail.email), .text(mail.state.rawValue),
            optional(mail.detail), .integer(milliseconds(mail.at)),
        ]
    }

    private static let reminderColumns = "SELECT request_id, name, due_at, set_at, set_by, state, leased_until, finished_at FROM request_reminder"

    private static func reminder(_ row: SQLiteRow) -> Reminder? {
        guard let state = row.column("state")?.string.flatMap(Reminder.State.init(rawValue:)) else { return nil }
        return Reminder(
            requestID: Int64(row.column("request_id")?.integer ?? 0),
            name: row.column("name")?.string ?? "",
            dueAt: date(row.column("due_at")),
            setAt: date(row.column("set_at")),
            setBy: row.column("set_by")?.string ?? "",
            state: state,
            leasedUntil: optionalDate(row.column("leased_until")),
            finishedAt: optionalDate(row.column("finished_at"))
        )
    }
}
