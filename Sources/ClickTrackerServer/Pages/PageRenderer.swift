import ClickTracker
import HTTPTypes
import Hummingbird
import Mustache

/// Renders the server's HTML pages with the shared layout and strict security headers.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let collectorPath: String
    let signer: SessionSigner

    init(collectorPath: String, signer: SessionSigner) throws {
        MustacheContentTypes.register(ScalarHTMLContentType(), named: ScalarHTMLContentType.name)
        var library = MustacheLibrary()
        for (name, template) in Templates.all {
            try library.register(template, named: name)
        }
        self.library = library
        self.collectorPath = collectorPath
        self.signer = signer
    }

    /// A page for the current request; `values` are merged with the layout's values (which
    /// include `doneNotice` and `doneWarning`, the sentences of ``DoneNotice``).
    func page(
        _ template: String,
        _ values: [String: Any],
        context: ServerRequestContext,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        var object: [String: Any] = ["prefix": collectorPath]
        if let user = context.user, let nonce = context.sessionNonce {
            object["user"] = ["name": user.name, "isAdmin": user.isAdmin, "navigation": navigation(template, isAdmin: user.isAdmin)]
            object["csrf"] = signer.csrfToken(for: nonce)
        }
        object.merge(values) { _, new in new }
        let html = library.render(object, withTemplate: template) ?? ""
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("Referrer-Policy")!: "same-origin",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }
}

extension PageRenderer {
    /// The header's links, the current page's marked (`aria-current`).
    private func navigation(_ template: String, isAdmin: Bool) -> [[String: Any]] {
        let current =
            switch template {
            case "listing": "/"
            case "reads", "person": "reads"
            case "overview", "tracking": "tracking"
            case "requests", "request": "requests"
            case "groups", "group": "groups"
            case "webhooks": "webhooks"
            default: template
            }
        var links = [("/", "/", "Documents"), ("reads", "\(collectorPath)/reads", "My reads")]
        if isAdmin {
            links += [
                ("tracking", "\(collectorPath)/", "Tracking"), ("requests", "\(collectorPath)/requests", "Requests"),
                ("groups", "\(collectorPath)/groups", "Groups"), ("storage", "\(collectorPath)/storage", "Storage"),
                ("tokens", "\(collectorPath)/tokens", "API tokens"), ("webhooks", "\(collectorPath)/webhooks", "Webhooks"),
                ("audit", "\(collectorPath)/audit", "Audit"),
            ]
        }
        return links.map { key, url, label in ["url": url, "label": label, "isCurrent": key == current] }
    }
}

/// HTML escaping by Unicode scalar. Mustache's own escaping goes by `Character`, so a quote
/// followed by a combining mark would slip through it unescaped; every template selects this
/// content type instead.
struct ScalarHTMLContentType: MustacheContentType {
    static let name = "HTML_SCALARS"

    func escapeText(_ text: String) -> String {
        HTML.escape(text)
    }
}
