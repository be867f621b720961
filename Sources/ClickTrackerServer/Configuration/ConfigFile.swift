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
        let temporary = path + ".saving"
        guard FileManager.default.createFile(atPath: temporary, contents: data + Data("\n".utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Failure(description: "cannot write beside \(path)")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw Failure(description: "cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }
}
