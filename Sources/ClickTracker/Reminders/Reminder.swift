import Foundation

/// One reminder of a reading request: mail to every expected reader who has not yet read all of
/// its documents, sent once at ``dueAt`` (a set time before the deadline, or at once when an
/// administrator pressed "remind now").
public struct Reminder: Sendable, Hashable {
    /// Where a reminder stands.
    public enum State: String, Sendable, Hashable {
        /// Waiting for its time.
        case pending
        /// Being sent by an instance (until ``Reminder/leasedUntil``; then another may finish it).
        case sending
        /// Sent: every reader it was for has a ``ReminderMail``.
        case sent
        /// Not sent: its time had passed when it was set.
        case skipped
        /// Not sent: a later reminder fell due with it (the server was stopped meanwhile) and went
        /// out instead.
        case superseded
        /// Not sent: the deadline passed before it could go out.
        case missed
    }

    /// The request.
    public var requestID: Int64
    /// Unique within the request: `48h` for 48 hours before the deadline, `now-…` for "remind now".
    public var name: String
    public var dueAt: Date
    /// When and by whom it was set.
    public var setAt: Date
    public var setBy: String
    public var state: State
    public var leasedUntil: Date?
    /// When it was sent or skipped.
    public var finishedAt: Date?

    /// Creates a reminder.
    public init(
        requestID: Int64,
        name: String,
        dueAt: Date,
        setAt: Date,
        setBy: String,
        state: State = .pending,
        leasedUntil: Date? = nil,
        finishedAt: Date? = nil
    ) {
        self.requestID = requestID
        self.name = name
        self.dueAt = dueAt
        self.setAt = setAt
        self.setBy = setBy
        self.state = state
        self.leasedUntil = leasedUntil
        self.finishedAt = finishedAt
    }

    /// Hours before the deadline, for a scheduled reminder (`nil` for "remind now").
    public var hoursBefore: Int? {
        guard name.hasSuffix("h") else { return nil }
        return Int(name.dropLast())
    }

    /// The name of the reminder `hours` before the deadline.
    public static func name(hoursBefore hours: Int) -> String { "\(hours)h" }

    /// The reminders a new request gets: 48 and 2 hours before the deadline.
    public static let defaultHours = [48, 2]

    /// Checks a schedule typed as hours before the deadline ("48, 2"): whole hours from 1 to 720
    /// (30 days), at most 10; returns them latest first, without repeats.
    public static func parseSchedule(_ text: String) -> [Int]? {
        let parts = text.split { $0 == "," || $0 == " " || $0 == ";" }.map(String.init)
        var hours: [Int] = []
        for part in parts {
            guard let value = Int(part), (1...720).contains(value) else { return nil }
            hours.append(value)
        }
        guard hours.count <= 10 else { return nil }
        return Array(Set(hours)).sorted(by: >)
    }
}

/// One reader's mail of one reminder: claimed before it is sent, so nobody gets a reminder twice.
public struct ReminderMail: Sendable, Hashable {
    /// What became of it.
    public enum State: String, Sendable, Hashable {
        /// Handed to the mail server, or not known: the instance stopped while sending it.
        case sending
        case sent
        /// The mail server or command refused it (``ReminderMail/detail`` says why).
        case failed
        /// The reader has no email address, so cannot be reminded.
        case noAddress = "no address"
    }

    public var requestID: Int64
    /// The reminder's name.
    public var reminder: String
    public var member: String
    public var email: String?
    public var state: State
    public var detail: String?
    public var at: Date

    /// Creates a mail record.
    public init(requestID: Int64, reminder: String, member: String, email: String?, state: State, detail: String? = nil, at: Date) {
        self.requestID = requestID
        self.reminder = reminder
        self.member = member
        self.email = email
        self.state = state
        self.detail = detail
        self.at = at
    }
}
