/// What the store made of one event in a batch.
public enum RecordOutcome: String, Sendable, Hashable {
    /// The event changed the store: a new view, a newer report, a first acknowledgement.
    case recorded
    /// Already known: a view recorded before, a report no newer than the last, a second acknowledgement.
    case unchanged
    /// A report or acknowledgement for a render whose view was never recorded.
    case unknownRender = "unknown"
    /// A report for a render whose page already sent its final report.
    case finishedRender = "finished"
    /// Kept in the local spool while the store is unreachable; written later, in order.
    case spooled

    /// `true` when the event was taken (or will be): the browser need not send it again.
    public var isAccepted: Bool {
        switch self {
        case .recorded, .unchanged, .spooled: true
        case .unknownRender, .finishedRender: false
        }
    }
}
