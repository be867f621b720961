/// One document of a reading request as the store knows it: the document seen under the
/// request's path (if any render of it was recorded) and the readings of the expected readers.
public struct DocumentReadings: Sendable, Hashable {
    /// The path the request names.
    public var path: String
    /// The document recorded under that key or path, `nil` when nobody has opened it.
    public var document: DocumentReference?
    /// Per expected reader who opened it, the evidence per version with the time each stage was
    /// reached (``ReaderSummary/VersionEvidence/readAt``); readers who never opened it are absent.
    public var readers: [ReaderSummary]

    /// Creates the readings of one document.
    public init(path: String, document: DocumentReference?, readers: [ReaderSummary]) {
        self.path = path
        self.document = document
        self.readers = readers
    }
}
