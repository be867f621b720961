import Foundation

/// One verified read: a signed-in member saw a rendered page.
///
/// Every field comes from a view token the server minted and verified, never from the browser.
public struct ViewEvent: Sendable, Hashable, Codable {
    /// The signed-in member who read the page.
    public var member: String
    /// The document that was read.
    public var document: DocumentReference
    /// The URL the member read it at (path, no query string).
    public var url: String
    /// Unique per rendered page; a render is recorded at most once.
    public var renderID: String
    /// When the server minted the token for this render.
    public var issuedAt: Date
    /// When the server accepted the view beacon.
    public var viewedAt: Date

    /// Creates a view event.
    public init(
        member: String,
        document: DocumentReference,
        url: String,
        renderID: String,
        issuedAt: Date,
        viewedAt: Date
    ) {
        self.member = member
        self.document = document
        self.url = url
        self.renderID = renderID
        self.issuedAt = issuedAt
        self.viewedAt = viewedAt
    }
}

/// What identifies a document and how it is shown in reports.
public struct DocumentReference: Sendable, Hashable, Codable {
    /// A stable key: the path by default, or an id the site supplies so moved pages keep their history.
    public var key: String
    /// The document's current path, used to match tracked sections.
    public var path: String
    /// The document's title, for display; `nil` when unknown.
    public var title: String?

    /// Creates a document reference.
    /// - Parameters:
    ///   - key: Stable key; defaults to `path`.
    ///   - path: Current path of the document.
    ///   - title: Title for display.
    public init(key: String? = nil, path: String, title: String? = nil) {
        self.key = key ?? path
        self.path = path
        self.title = title
    }

    enum CodingKeys: String, CodingKey {
        case key = "k"
        case path = "p"
        case title = "t"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decode(String.self, forKey: .path)
        key = try container.decodeIfPresent(String.self, forKey: .key) ?? path
        title = try container.decodeIfPresent(String.self, forKey: .title)
    }

    /// Encodes compactly: the key only when it differs from the path.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        if key != path { try container.encode(key, forKey: .key) }
        try container.encodeIfPresent(title, forKey: .title)
    }
}
