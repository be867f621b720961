import ClickTracker
import ClickTrackerHummingbird
import Foundation
import Hummingbird
import NIOPosix

/// Serves the folder of documents to signed-in users.
///
/// HTML documents are answered with their `<title>` in the `ClickTracker-Title` header, which the
/// tracking middleware reads (and removes) to label reports. Folders without an `index.html`
/// get a listing. Anonymous visitors are sent to the sign-in page.
struct SiteController: Sendable {
    let folder: SiteFolder
    let pages: PageRenderer
    let fileIO = FileIO()

    func addRoutes(to router: Router<ServerRequestContext>) {
        router.get("/") { request, context in try await respond(request, context: context) }
        router.get("**") { request, context in try await respond(request, context: context) }
    }

    func respond(_ request: Request, context: ServerRequestContext) async throws -> Response {
        guard context.user != nil else {
            let next = Self.queryValue(request.uri.path)
            return .redirect(to: "\(pages.collectorPath)/login?next=\(next)", type: .found)
        }
        guard let path = try? SectionPath(urlPath: request.uri.path), let item = folder.item(at: path) else {
            return pages.page(
                "message",
                ["heading": "Not found", "text": "There is no document at this address."],
                context: context,
                status: .notFound
            )
        }
        switch item {
        case .folder(let directory):
            let folderURL = path.isRoot ? "/" : path.urlEncoded + "/"
            guard request.uri.path.hasSuffix("/") else {
                let query = request.uri.query.map { "?" + $0 } ?? ""
                return .redirect(to: folderURL + query, type: .permanent)
            }
            let index = directory + "/index.html"
            if FileManager.default.fileExists(atPath: index) {
                return try await document(at: index, context: context)
            }
            // A listing is navigation, not a document: never tracked.
            context.clickTracker.ignore()
            let entries = folder.entries(of: directory, urlPath: folderURL).map { ["name": $0.name, "path": $0.path, "isFolder": $0.isFolder] }
            return pages.page(
                "listing",
                [
                    "folder": path.isRoot ? "Documents" : String(path.segments.last ?? ""), "entries": entries,
                    "trackingURL": "\(pages.collectorPath)/tracking?path=\(Self.queryValue(path.value))",
                ],
                context: context
            )
        case .file(let file):
            let lowercased = file.lowercased()
            if lowercased.hasSuffix(".html") || lowercased.hasSuffix(".htm") {
                return try await document(at: file, context: context)
            }
            let body = try await fileIO.loadFile(path: file, context: context)
            let fileExtension = URL(fileURLWithPath: file).pathExtension
            let mediaType = MediaType.getMediaType(forExtension: fileExtension)?.description ?? "application/octet-stream"
            return Response(status: .ok, headers: [.contentType: mediaType], body: body)
        }
    }

    private func document(at file: String, context: ServerRequestContext) async throws -> Response {
        let data = try await NIOThreadPool.singleton.runIfActive { try Data(contentsOf: URL(fileURLWithPath: file)) }
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-cache"]
        if let title = HTMLTitle.extract(from: data) {
            headers[.clickTrackerTitle] = Self.headerValue(title)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Percent-encodes a value for a `ClickTracker-*` header.
    static func headerValue(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: " -_.,:;()"))) ?? ""
    }

    /// Percent-encodes a value for a query string.
    static func queryValue(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "/-_.~"))) ?? ""
    }
}
