/// When a tracked section counts a document as read, set per section in the control panel.
///
/// A read needs active time of at least the document's words ÷ ``wordsPerMinute`` (never more than
/// ``maximumSeconds``; that cap alone when the word count is unknown), or the end of the document
/// reached after at least ``minimumSeconds`` of active time; and, when the section asks for it,
/// the reader's confirmation.
public struct ReadingPolicy: Sendable, Hashable, Codable {
    /// Reading speed assumed for the time a document needs.
    public var wordsPerMinute: Int
    /// The most active time any document needs.
    public var maximumSeconds: Int
    /// The active time that suffices once the end was reached.
    public var minimumSeconds: Int
    /// Whether readers are asked to confirm "I have read this document".
    public var requiresAcknowledgement: Bool
    /// Whether a read of an earlier version stops counting once the document changes.
    public var requiresRereading: Bool

    /// Creates a policy; values are brought into sensible ranges.
    public init(
        wordsPerMinute: Int = 250,
        maximumSeconds: Int = 600,
        minimumSeconds: Int = 30,
        requiresAcknowledgement: Bool = false,
        requiresRereading: Bool = false
    ) {
        self.wordsPerMinute = min(max(1, wordsPerMinute), 10_000)
        self.maximumSeconds = min(max(0, maximumSeconds), 86_400)
        self.minimumSeconds = min(max(0, minimumSeconds), 86_400)
        self.requiresAcknowledgement = requiresAcknowledgement
        self.requiresRereading = requiresRereading
    }

    /// The defaults: 250 words per minute, at most 10 minutes, 30 seconds with the end reached.
    public static let standard = ReadingPolicy()

    /// The active time a document of `words` words needs, in milliseconds; the cap when the count
    /// is unknown or zero (a page drawn by its own scripts has no words in its HTML).
    public func requiredMilliseconds(words: Int?) -> Int {
        let cap = maximumSeconds * 1000
        guard let words, words > 0 else { return cap }
        return min(cap, words * 60_000 / wordsPerMinute)
    }
}
