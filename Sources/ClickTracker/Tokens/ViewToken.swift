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
    /// The version of the document rendered, when known.
    public var version: DocumentVersion?

    /// Creates a token.
    public init(
        member: String,
        document: DocumentReference,
        url: String,
        renderID: String,
        issuedAt: Date,
        expiresAt: Date,
        version: DocumentVersion? = nil
    ) {
        self.member = member
        self.document = document
        self.url = url
        self.renderID = renderID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.version = version
    }

    /// A new render id, base64url: the time in milliseconds (48 bits, big-endian), then 80 bits
    /// from the system's secure generator. Ids minted close together share their first
    /// characters, so the store's unique index takes them on neighbouring pages instead of
    /// scattered ones (a random id dirtied a new index page per view).
    public static func newRenderID(now: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var bytes = (0..<6).map { UInt8(truncatingIfNeeded: milliseconds >> UInt64(40 - 8 * $0)) }
        bytes += (0..<10).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64URL.encode(bytes)
    }

    /// The event this token proves, received at `viewedAt`.
    /// - Parameters:
    ///   - kind: What the beacon says.
    ///   - viewedAt: When the server received it.
    ///   - attention: What the page reported, for a report.
    public func event(_ kind: ViewEvent.Kind = .view, viewedAt: Date, attention: Attention? = nil) -> ViewEvent {
        ViewEvent(
            kind: kind,
            member: member,
            document: document,
            url: url,
            renderID: renderID,
            issuedAt: issuedAt,
            viewedAt: viewedAt,
            version: version,
            attention: attention
        )
    }

    enum CodingKeys: String, CodingKey {
        case member = "m"
        case document = "d"
        case url = "u"
        case renderID = "r"
        case issuedAt = "i"
        case expiresAt = "e"
        case version = "v"
    }
}
