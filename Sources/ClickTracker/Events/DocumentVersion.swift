/// Which version of a document a page showed: a hash of its text, and how many words it has.
///
/// Computed by ``PageFingerprint`` from the tracked HTML as it streams out, or taken from the
/// site (`ClickTracker-Version`), and carried in the signed view token.
public struct DocumentVersion: Sendable, Hashable, Codable {
    /// A short hash that changes when the document's text changes.
    public var id: String
    /// The number of words in the document's text.
    public var words: Int

    /// Creates a version.
    public init(id: String, words: Int) {
        self.id = id
        self.words = words
    }

    enum CodingKeys: String, CodingKey {
        case id = "h"
        case words = "n"
    }
}
