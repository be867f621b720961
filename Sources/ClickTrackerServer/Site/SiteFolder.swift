import ClickTracker
import Foundation

/// The folder of documents the server publishes, with safe path resolution.
struct SiteFolder: Sendable {
    /// What a request path names inside the folder.
    enum Item: Equatable {
        case file(String)
        case folder(String)
    }

    /// One entry of a folder listing.
    struct Entry: Sendable {
        var name: String
        var path: String
        var isFolder: Bool
    }

    let root: String

    init(root: String) {
        self.root = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
    }

    /// Resolves a normalised path to a file or folder inside the site, or `nil` if it does not
    /// exist, is hidden (a segment starts with `.`), or would leave the site folder through a link.
    func item(at path: SectionPath) -> Item? {
        let segments = path.segments
        guard !segments.contains(where: { $0.hasPrefix(".") }) else { return nil }
        let candidate = segments.reduce(URL(fileURLWithPath: root)) { $0.appendingPathComponent(String($1)) }
        let resolved = candidate.resolvingSymlinksInPath().path
        guard resolved == root || resolved.hasPrefix(root + "/") else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) else { return nil }
        return isDirectory.boolValue ? .folder(resolved) : .file(resolved)
    }

    /// The visible entries of a folder: sub-folders first, then files, each sorted by name.
    /// - Parameters:
    ///   - folder: Absolute file path of the folder.
    ///   - urlPath: The folder's percent-encoded URL path, ending in `/`.
    func entries(of folder: String, urlPath: String) -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") }.compactMap { name -> Entry? in
            var isDirectory: ObjCBool = false
            let full = folder + "/" + name
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) else { return nil }
            let encoded = (try? SectionPath("/" + name))?.urlEncoded.dropFirst() ?? ""
            guard !encoded.isEmpty else { return nil }
            return Entry(name: name, path: urlPath + encoded + (isDirectory.boolValue ? "/" : ""), isFolder: isDirectory.boolValue)
        }.sorted { ($0.isFolder ? 0 : 1, $0.name) < ($1.isFolder ? 0 : 1, $1.name) }
    }

    /// The HTML documents at or below `path`, as the paths their views are recorded under (a
    /// folder's `index.html` is the folder itself), sorted; `[]` when there is nothing there.
    func documents(under path: SectionPath, maximumEntries: Int = 10_000) -> [SectionPath] {
        func isHTML(_ name: String) -> Bool { name.lowercased().hasSuffix(".html") || name.lowercased().hasSuffix(".htm") }
        switch item(at: path) {
        case .file(let file): return isHTML(file) ? [path] : []
        case .none: return []
        case .folder(let directory):
            var documents: [SectionPath] = []
            func walk(_ folder: String, _ folderPath: SectionPath) {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
                for name in names where documents.count < maximumEntries {
                    var isDirectory: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isDirectory),
                        let child = try? SectionPath(folderPath.value + "/" + name)
                    else { continue }
                    if isDirectory.boolValue {
                        walk(folder + "/" + name, child)
                    } else if isHTML(name) {
                        documents.append(name.lowercased() == "index.html" ? folderPath : child)
                    }
                }
            }
            walk(directory, path)
            return documents.sorted()
        }
    }

    /// Every folder and HTML document below the root, depth first, for the tracking overview.
    func tree(maximumEntries: Int = 2000) -> [(entry: Entry, depth: Int)] {
        var result: [(entry: Entry, depth: Int)] = []
        func walk(_ folder: String, _ urlPath: String, _ depth: Int) {
            for entry in entries(of: folder, urlPath: urlPath) where result.count < maximumEntries {
                guard entry.isFolder || entry.name.lowercased().hasSuffix(".html") || entry.name.lowercased().hasSuffix(".htm") else {
                    continue
                }
                result.append((entry, depth))
                if entry.isFolder { walk(folder + "/" + entry.name, entry.path, depth + 1) }
            }
        }
        walk(root, "/", 0)
        return result
    }
}
