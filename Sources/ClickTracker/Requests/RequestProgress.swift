import Foundation

/// What a store keeps of a reading request's readers' progress (see
/// ``ClickStorage/requestProgress(requestID:)``).
public struct RequestProgress: Sendable, Hashable {
    /// The progress kept per reader; a reader missing here has not been summed up yet.
    public var readers: [String: ReaderProgress]
    /// Counts the times the kept progress was set aside (the documents, a policy, the deadline
    /// or retention changed it all): progress summed up under an earlier generation is not kept.
    public var generation: Int
    /// The store's time up to which the kept progress follows every change of the readings;
    /// `nil` when everything is to be summed up again.
    public var asOf: Date?

    /// Creates the kept progress.
    public init(readers: [String: ReaderProgress], generation: Int, asOf: Date?) {
        self.readers = readers
        self.generation = generation
        self.asOf = asOf
    }
}
