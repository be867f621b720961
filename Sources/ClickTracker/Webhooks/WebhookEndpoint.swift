import Foundation

/// A URL that is sent signed messages about chosen events (Standard Webhooks).
public struct WebhookEndpoint: Sendable, Hashable {
    /// Why an endpoint is refused.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Its id in the store (`0` before it is stored).
    public var id: Int64
    /// Where messages are posted: an `http` or `https` URL.
    public var url: String
    /// The events it is sent.
    public var events: Set<WebhookEventType>
    /// The signing secret, sealed with the server's key (see ``WebhookSecret``); never shown
    /// again after it was made.
    public var sealedSecret: String
    /// When and by whom it was registered.
    public var createdAt: Date
    public var createdBy: String

    /// Creates an endpoint.
    public init(id: Int64 = 0, url: String, events: Set<WebhookEventType>, sealedSecret: String, createdAt: Date, createdBy: String) {
        self.id = id
        self.url = url
        self.events = events
        self.sealedSecret = sealedSecret
        self.createdAt = createdAt
        self.createdBy = createdBy
    }

    /// Checks an endpoint's URL: absolute `http` or `https` with a host, at most 2,000
    /// characters, no credentials and no fragment.
    public static func validate(url text: String) throws(Invalid) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.count <= 2000, let url = URLComponents(string: trimmed), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else {
            throw Invalid(description: "the URL must start with https:// or http:// and name a host, such as https://example.org/hooks/clicktracker")
        }
        guard url.user == nil, url.password == nil else {
            throw Invalid(description: "the URL may not contain a user name or password; messages are signed with the secret instead")
        }
        guard url.fragment == nil else { throw Invalid(description: "the URL may not contain a # fragment") }
        return trimmed
    }

    /// The scheme, host and port of an endpoint's URL, for logs and the audit log: its path and
    /// query may hold a secret (a chat service's incoming-webhook URL does).
    public static func site(of url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return "(an endpoint)" }
        return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")/…"
    }

    /// Checks the events asked for: at least one, each known.
    public static func validate(events names: [String]) throws(Invalid) -> Set<WebhookEventType> {
        var events: Set<WebhookEventType> = []
        for name in names {
            guard let event = WebhookEventType(rawValue: name) else {
                let known = WebhookEventType.allCases.map(\.rawValue).joined(separator: ", ")
                throw Invalid(description: "“\(name)” is not an event; choose from \(known)")
            }
            events.insert(event)
        }
        guard !events.isEmpty else { throw Invalid(description: "choose at least one event") }
        return events
    }
}
