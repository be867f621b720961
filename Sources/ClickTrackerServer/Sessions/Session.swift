import ClickTracker
import Crypto
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
    /// Derived from the user's password hash when they signed in: a new password ends the session.
    public var passwordTag: String

    enum CodingKeys: String, CodingKey {
        case userName = "u"
        case nonce = "n"
        case expiresAt = "e"
        case passwordTag = "p"
    }

    /// The id under which a signed-out session is kept (a hash of its nonce, which alone
    /// derives the CSRF token and so never goes into the database).
    public var id: String {
        Base64URL.encode(SHA256.hash(data: Data("session:\(nonce)".utf8)))
    }
}
