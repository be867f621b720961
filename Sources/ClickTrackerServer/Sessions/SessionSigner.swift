import ClickTracker
import Crypto
import Foundation
import Synchronization

/// Signs session cookies and derives CSRF tokens, with keys derived from the server secret.
struct SessionSigner: Sendable {
    static let cookieName = "ct_session"
    static let loginCookieName = "ct_login"
    static let lifetime: TimeInterval = 12 * 3600

    private let sessions: SignedValue
    private let csrfKey: SymmetricKey
    private let passwordKey: SymmetricKey
    /// Tags already computed, by password hash: every request with a session checks one.
    private let passwordTags = PasswordTags()
    /// Sessions by the cookie value they were verified from.
    private let verifiedCookies = VerifiedCookies()

    init(key: SecretKey) {
        self.sessions = SignedValue(key: key.derived(for: "session"))
        self.csrfKey = key.derived(for: "csrf")
        self.passwordKey = key.derived(for: "session-password")
    }

    /// A new session for a user who just signed in.
    func newSession(for user: User, now: Date = Date()) -> Session {
        Session(
            userName: user.name,
            nonce: ViewToken.newRenderID(),
            expiresAt: now.addingTimeInterval(Self.lifetime),
            passwordTag: passwordTag(for: user)
        )
    }

    /// A tag of the user's current password hash: sessions signed in with another password
    /// (before a reset) carry another tag and are refused.
    func passwordTag(for user: User) -> String {
        if let tag = passwordTags.values.withLock({ $0[user.passwordHash] }) { return tag }
        let tag = Base64URL.encode(HMAC<SHA256>.authenticationCode(for: Data(user.passwordHash.utf8), using: passwordKey).prefix(12))
        passwordTags.values.withLock { tags in
            // Old hashes stay behind after password changes; a users file holds few of them.
            if tags.count >= 10_000 { tags.removeAll() }
            tags[user.passwordHash] = tag
        }
        return tag
    }

    /// The cookie value for a session: `claims.mac`, both base64url.
    func cookieValue(for session: Session) -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return sessions.seal((try? encoder.encode(session)) ?? Data())
    }

    /// The session in a cookie value, or `nil` if it is forged, altered or expired.
    ///
    /// A cookie verified once is remembered (up to 10,000 of them), so a busy reader's requests
    /// skip the MAC and the decoding; its expiry is still checked every time.
    func session(fromCookie value: String, now: Date = Date()) -> Session? {
        if let known = verifiedCookies.sessions.withLock({ $0[value] }) {
            return known.expiresAt > now ? known : nil
        }
        guard let claims = sessions.open(value, maximumLength: 2048) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        guard let session = try? decoder.decode(Session.self, from: claims), session.expiresAt > now else { return nil }
        verifiedCookies.sessions.withLock { sessions in
            if sessions.count >= 10_000 { sessions.removeAll() }
            sessions[value] = session
        }
        return session
    }

    /// The CSRF token that forms of this session must carry.
    func csrfToken(for nonce: String) -> String {
        Base64URL.encode(HMAC<SHA256>.authenticationCode(for: Data("csrf:\(nonce)".utf8), using: csrfKey))
    }

    /// `true` if `token` is the CSRF token for `nonce`, compared in constant time.
    func isValidCSRFToken(_ token: String?, for nonce: String) -> Bool {
        guard let token, let mac = Base64URL.decode(token) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data("csrf:\(nonce)".utf8), using: csrfKey)
    }
}

/// Password tags by password hash, shared by the copies of a ``SessionSigner``.
private final class PasswordTags: Sendable {
    let values = Mutex<[String: String]>([:])
}

/// Sessions by the cookie value they were verified from, shared by the copies of a ``SessionSigner``.
private final class VerifiedCookies: Sendable {
    let sessions = Mutex<[String: Session]>([:])
}
