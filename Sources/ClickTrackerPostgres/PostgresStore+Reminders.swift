import ClickTracker
import Foundation
import PostgresNIO

extension PostgresStore {
    public func reminders(requestID: Int64) async throws -> [Reminder] {
        try await readReminders(
            "\(unescaped: Self.reminderColumns) WHERE request_id = \(requestID) ORDER BY due_at, name COLLATE \"C\""
        )
    }

    @discardableResult
    public func setReminderSchedule(requestID: Int64, hours: [Int], at time: Date, by actor: String) async throws -> Bool {
        let (client, logger) = (client, logger)
        let names = hours.map(Reminder.name(hoursBefore:))
        return try await run(.report) {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query("SELECT deadline FROM reading_request WHERE id = \(requestID) FOR UPDATE", logger: logger)
                var deadline: Date?
                for try await value in rows.decode(Date.self) { deadline = value }
                guard let deadline else { return false }
                try await connection.query(
                    """
                    DELETE FROM request_reminder
                    WHERE request_id = \(requestID) AND state = 'pending' AND name NOT LIKE 'now-%' AND NOT (name = ANY(\(names)::text[]))
                    """,
                    logger: logger
                )
                for hour in hours {
                    let due = deadline.addingTimeInterval(-Double(hour) * 3600)
                    let passed = due < time
                    try await connection.query(
                        """
                        INSERT INTO request_reminder (request_id, name, due_at, set_at, set_by, state, finished_at)
                        VALUES (\(requestID), \(Reminder.name(hoursBefore: hour)), \(due), \(time), \(actor), \(passed ? "skipped" : "pending"),
                                \(passed ? time : nil))
                        ON CONFLICT (request_id, name) DO NOTHING
                        """,
                        logger: logger
                    )
                }
                return true
            }
        }
    }

    @discardableResult
    public func addReminder(_ reminder: Reminder) async throws -> Bool {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                INSERT INTO request_reminder (request_id, name, due_at, set_at, set_by, state)
                SELECT id, \(reminder.name), \(reminder.dueAt), \(reminder.setAt), \(reminder.setBy), \(reminder.state.rawValue)
                FROM reading_request WHERE id = \(reminder.requestID)
                ON CONFLICT (request_id, name) DO NOTHING RETURNING name
                """,
                logger: logger
            )
            for try await _ in rows.decode(String.self) { return true }
            return false
        }
    }

    public func dueReminders(at now: Date) async throws -> [Reminder] {
        try await readReminders(
            """
            \(unescaped: Self.reminderColumns)
            WHERE due_at <= \(now) AND (state = 'pending' OR (state = 'sending' AND leased_until <= \(now)))
            ORDER BY due_at, request_id, name COLLATE "C"
            """
        )
    }

    public func claimReminder(requestID: Int64, name: String, now: Date, leaseUntil: Date) async throws -> Bool {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                UPDATE request_reminder SET state = 'sending', leased_until = \(leaseUntil)
                WHERE request_id = \(requestID) AND name = \(name) AND due_at <= \(now)
                    AND (state = 'pending' OR (state = 'sending' AND leased_until <= \(now)))
                RETURNING name
                """,
                logger: logger
            )
            for try await _ in rows.decode(String.self) { return true }
            return false
        }
    }

    public func finishReminder(requestID: Int64, name: String, state: Reminder.State, at time: Date) async throws {
        let (client, logger) = (client, logger)
        try await run(.report) {
            let rows = try await client.query(
                """
                UPDATE request_reminder SET state = \(state.rawValue), finished_at = \(time), leased_until = NULL
                WHERE request_id = \(requestID) AND name = \(name) AND state = \(state == .superseded ? "pending" : "sending")
                """,
                logger: logger
            )
            for try await _ in rows {}
        }
    }

    public func claimReminderMail(_ mail: ReminderMail) async throws -> Bool {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                INSERT INTO reminder_mail (request_id, reminder, member, email, state, detail, at)
                VALUES (\(mail.requestID), \(mail.reminder), \(mail.member), \(mail.email), \(mail.state.rawValue), \(mail.detail), \(mail.at))
                ON CONFLICT (request_id, reminder, member) DO NOTHING RETURNING member
                """,
                logger: logger
            )
            for try await _ in rows.decode(String.self) { return true }
            return false
        }
    }

    public func finishReminderMail(_ mail: ReminderMail) async throws {
        let (client, logger) = (client, logger)
        try await run(.report) {
            let rows = try await client.query(
                """
                UPDATE reminder_mail SET email = \(mail.email), state = \(mail.state.rawValue), detail = \(mail.detail), at = \(mail.at)
                WHERE request_id = \(mail.requestID) AND reminder = \(mail.reminder) AND member = \(mail.member)
                """,
                logger: logger
            )
            for try await _ in rows {}
        }
    }

    public func reminderMails(requestID: Int64) async throws -> [ReminderMail] {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                SELECT request_id, reminder, member, email, state, detail, at FROM reminder_mail
                WHERE request_id = \(requestID) ORDER BY at DESC, member COLLATE "C"
                """,
                logger: logger
            )
            var mails: [ReminderMail] = []
            for try await (id, reminder, member, email, state, detail, at) in rows.decode(
                (Int64, String, String, String?, String, String?, Date).self
            ) {
                guard let state = ReminderMail.State(rawValue: state) else { continue }
                mails.append(ReminderMail(requestID: id, reminder: reminder, member: member, email: email, state: state, detail: detail, at: at))
            }
            return mails
        }
    }

    private func readReminders(_ query: PostgresQuery) async throws -> [Reminder] {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            var reminders: [Reminder] = []
            let rows = try await client.query(query, logger: logger)
            for try await (id, name, due, setAt, setBy, state, leased, finished) in rows.decode(
                (Int64, String, Date, Date, String, String, Date?, Date?).self
            ) {
                guard let state = Reminder.State(rawValue: state) else { continue }
                reminders.append(
                    Reminder(
                        requestID: id,
                        name: name,
                        dueAt: due,
                        setAt: setAt,
                        setBy: setBy,
                        state: state,
                        leasedUntil: leased,
                        finishedAt: finished
                    )
                )
            }
            return reminders
        }
    }

    private static let reminderColumns = "SELECT request_id, name, due_at, set_at, set_by, state, leased_until, finished_at FROM request_reminder"
}
