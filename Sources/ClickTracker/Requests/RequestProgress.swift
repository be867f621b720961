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
    /// A fingerprint of the documents the request's paths named when it was summed up: when a
    /// path names another document now (one moved away, another seen there), it is summed up again.
    public var documents: String?

    /// Creates the kept progress.
    public init(readers: [String: ReaderProgress], generation: Int, asOf: Date?, documents: String? = nil) {
        self.readers = readers
        self.generation = generation
        self.asOf = asOf
        self.documents = documents
    }
}
