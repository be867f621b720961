import Foundation

/// A signed-in browser session, carried in a signed cookie so that it survives restarts and
/// works across several server instances sharing one key.
public struct Session: Sendable, Hashable, Codable {
    /// The signed-in user's name.
    public var userName: String
    /// Random per sign-in; the CSRF token is derived from it.
    public var nonce: String
    /// When the session ends.
    public var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case userName = "u"
        case nonce = "n"
        case expiresAt = "e"
    }
}
