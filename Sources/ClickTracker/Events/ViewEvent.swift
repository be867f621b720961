import Foundation

/// One verified beacon from a rendered page: the view itself, a report of attention, or an
/// acknowledgement.
///
/// The member, document, URL, render and version come from a view token the server minted and
/// verified (for a single-page app's later views, minted for the path the app moved to); only
/// ``attention`` is reported by the page, and the store clamps it.
public struct ViewEvent: Sendable, Hashable, Codable {
    /// What the beacon says.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The page was rendered and shown: a read is opened.
        case view
        /// How attentively the page has been read so far.
        case report
        /// The page's final report (it was closed or left); later reports are refused.
        case end = "end"
        /// The reader confirmed "I have read this document".
        case acknowledgement = "ack"
    }

    /// What the beacon says.
    public var kind: Kind
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
    /// When the server accepted the beacon.
    public var viewedAt: Date
    /// The version of the document the page showed, when known.
    public var version: DocumentVersion?
    /// What the page reported about attention (reports; a view copied from another store).
    public var attention: Attention?

    /// Creates an event.
    public init(
        kind: Kind = .view,
        member: String,
        document: DocumentReference,
        url: String,
        renderID: String,
        issuedAt: Date,
        viewedAt: Date,
        version: DocumentVersion? = nil,
        attention: Attention? = nil
    ) {
        self.kind = kind
        self.member = member
        self.document = document
        self.url = url
        self.renderID = renderID
        self.issuedAt = issuedAt
        self.viewedAt = viewedAt
        self.version = version
        self.attention = attention
    }

    enum CodingKeys: String, CodingKey {
        case kind, member, document, url, renderID, issuedAt, viewedAt, version, attention
    }

    /// Decodes an event; spool records written before events had a kind are views.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decodeIfPresent(Kind.self, forKey: .kind) ?? .view
        member = try container.decode(String.self, forKey: .member)
        document = try container.decode(DocumentReference.self, forKey: .document)
        url = try container.decode(String.self, forKey: .url)
        renderID = try container.decode(String.self, forKey: .renderID)
        issuedAt = try container.decode(Date.self, forKey: .issuedAt)
        viewedAt = try container.decode(Date.self, forKey: .viewedAt)
        version = try container.decodeIfPresent(DocumentVersion.self, forKey: .version)
        attention = try container.decodeIfPresent(Attention.self, forKey: .attention)
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
