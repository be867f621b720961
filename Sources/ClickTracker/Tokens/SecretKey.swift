import Crypto
import Foundation

/// The server's master secret: loaded from a file, or generated on first start and stored with
/// permissions 0600. Purpose-specific keys are derived from it, so one secret serves tokens,
/// sessions and CSRF without reusing a key across purposes.
public struct SecretKey: Sendable {
    /// Why the key could not be loaded.
    public enum LoadError: Error, CustomStringConvertible {
        case tooShort(path: String)
        case unreadable(path: String, reason: String)
        case tooOpen(path: String, permissions: Int)

        public var description: String {
            switch self {
            case .tooShort(let path): "the key file \(path) holds fewer than 32 bytes"
            case .unreadable(let path, let reason): "cannot read or create the key file \(path): \(reason)"
            case .tooOpen(let path, let permissions):
                "the key file \(path) is readable by others (mode \(String(permissions, radix: 8))); run chmod 600 \(path)"
            }
        }
    }

    private let master: SymmetricKey

    /// Creates a key from secret bytes (at least 32).
    public init(bytes: some ContiguousBytes) {
        self.master = SymmetricKey(data: bytes)
    }

    /// Loads the key from `path`, creating it with 32 random bytes and mode 0600 if it does not exist.
    /// - Parameter path: The key file.
    public static func loadOrCreate(path: String) throws(LoadError) -> SecretKey {
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: path) {
            let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
            let created = fileManager.createFile(
                atPath: path,
                contents: bytes,
                attributes: [.posixPermissions: 0o600]
            )
            guard created else { throw .unreadable(path: path, reason: "could not create the file") }
        }
        do {
            let attributes = try fileManager.attributesOfItem(atPath: path)
            if let permissions = attributes[.posixPermissions] as? Int, permissions & 0o077 != 0 {
                throw LoadError.tooOpen(path: path, permissions: permissions)
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard data.count >= 32 else { throw LoadError.tooShort(path: path) }
            return SecretKey(bytes: data)
        } catch let error as LoadError {
            throw error
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
    }

    /// A key for one purpose, derived with HKDF-SHA256.
    /// - Parameter purpose: A fixed label such as `"view-token"`.
    public func derived(for purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Data(purpose.utf8), outputByteCount: 32)
    }
}
