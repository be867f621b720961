/// What a webhook endpoint can be told about.
public enum WebhookEventType: String, Sendable, Hashable, CaseIterable, Codable {
    /// A reader's stage with a document moved on: opened, read (the reading time was spent) or
    /// acknowledged.
    case readRecorded = "read.recorded"
    /// A reading request's deadline passed; the message carries every expected reader's status
    /// as frozen then.
    case requestDeadlinePassed = "request.deadline_passed"
    /// Every expected reader of a reading request has read all of its documents.
    case requestCompleted = "request.completed"

    /// What the event means, for the Webhooks page.
    public var summary: String {
        switch self {
        case .readRecorded: "a reader opened, read or acknowledged a document"
        case .requestDeadlinePassed: "a reading request's deadline passed (with everyone's status then)"
        case .requestCompleted: "everyone expected has read all of a request's documents"
        }
    }
}
