import HTTPTypes
import Hummingbird
import Mustache

/// Renders the server's HTML pages with the shared layout and strict security headers.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let collectorPath: String

    init(collectorPath: String) throws {
        var library = MustacheLibrary()
        for (name, template) in Templates.all {
            try library.register(template, named: name)
        }
        self.library = library
        self.collectorPath = collectorPath
    }

    /// A page for the current request; `values` are merged with the layout's values.
    func page(
        _ template: String,
        _ values: [String: Any],
        context: ServerRequestContext,
        csrf: String?,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        var object: [String: Any] = ["prefix": collectorPath]
        if let user = context.user {
            object["user"] = ["name": user.name, "isAdmin": user.isAdmin]
            object["csrf"] = csrf ?? ""
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
