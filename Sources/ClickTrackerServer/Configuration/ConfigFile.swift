import Foundation

/// Saves settings changed in the control panel back into the JSON configuration file,
/// keeping every other key as it is.
enum ConfigFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Sets `postgres.dsn` (or removes it with `nil`). The file is written atomically and made
    /// readable by its owner only, since a DSN may hold a password.
    static func setPostgresDSN(_ dsn: String?, in path: String) throws {
        let original: Data
        do {
            original = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Failure(description: "cannot read \(path): \(error.localizedDescription)")
        }
        guard var root = (try? JSONSerialization.jsonObject(with: original)) as? [String: Any] else {
            throw Failure(description: "\(path) does not hold a JSON object")
        }
        var postgres = root["postgres"] as? [String: Any] ?? [:]
        postgres["dsn"] = dsn
        root["postgres"] = postgres.isEmpty ? nil : postgres
        let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try replace(path, with: data + Data("\n".utf8))
    }

    /// Writes `data` to a new file that only the owner can read, syncs it, renames it over
    /// `path` and syncs the folder: after a crash the file is either the old or the new one.
    private static func replace(_ path: String, with data: Data) throws {
        let temporary = path + ".saving"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot write beside \(path): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == data.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(description: "cannot replace \(path): \(reason)")
        }
        let folder = open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }
}
