import ClickTracker
import Foundation

/// Finds the documents a reading request made on a folder names: in site mode the HTML files
/// under it in the site folder, in front of a site every document seen under it; ignored paths
/// are left out.
struct RequestDocuments: Sendable {
    let folder: SiteFolder?
    let tracker: ClickTracker

    /// The documents under `path`, sorted by path.
    func under(_ path: SectionPath) async throws -> [String] {
        let found: [SectionPath]
        if let folder {
            found = folder.documents(under: path)
        } else {
            found = try await tracker.storage.documents(under: path).compactMap { try? SectionPath($0.path) }
        }
        let ignoredPaths = try await tracker.ignoredPaths()
        var seen: Set<SectionPath> = []
        return found.filter { document in !ignoredPaths.contains { $0.contains(document) } && seen.insert(document).inserted }.map(\.value)
    }

    /// Paths typed by an admin (one per line, or separated by commas or spaces), normalised; the
    /// first path that is not one is returned as the error.
    static func parse(_ text: String) -> Result<[String], RequestsController.InvalidRequest> {
        var paths: [String] = []
        for item in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\r" }) {
            guard let path = try? SectionPath(item), !path.isRoot else {
                return .failure(.init(field: "documents", description: "\(item) is not a document path such as /papers/budget.html."))
            }
            paths.append(path.value)
        }
        return .success(paths)
    }
}
