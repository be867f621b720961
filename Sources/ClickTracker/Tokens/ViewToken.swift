import Foundation

/// What the server asserts about one rendered page: who saw which document, at which URL, when.
///
/// The browser only carries the token back; it is signed with ``ViewTokenSigner`` so it cannot
/// be forged for another member, another page, or after it expires.
public struct ViewToken: Sendable, Hashable, Codable {
    /// The member the page was rendered for.
    public var member: String
    /// The document rendered.
    public var document: DocumentReference
    /// The URL it was rendered at.
    public var url: String
    /// Unique id of this render.
    public var renderID: String
    /// When the token was minted.
    public var issuedAt: Date
    /// When the token stops being accepted.
    public var expiresAt: Date

    /// Creates a token.
    public init(member: String, document: DocumentReference, url: String, renderID: String, issuedAt: Date, expiresAt: Date) {
        self.member = member
        self.document = document
        self.url = url
        self.renderID = renderID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }

    /// A new random render id: 128 bits from the system's secure generator, base64url.
    public static func newRenderID() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// The view event this token proves, accepted at `viewedAt`.
    public func event(viewedAt: Date) -> ViewEvent {
        ViewEvent(member: member, document: document, url: url, renderID: renderID, issuedAt: issuedAt, viewedAt: viewedAt)
    }

    enum CodingKeys: String, CodingKey {
        case member = "m"
        case document = "d"
        case url = "u"
        case renderID = "r"
        case issuedAt = "i"
        case expiresAt = "e"
    }
}
