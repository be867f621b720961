import ClickTracker
import Crypto
import Foundation

/// Signs session cookies and derives CSRF tokens, with keys derived from the server secret.
struct SessionSigner: Sendable {
    static let cookieName = "ct_session"
    static let loginCookieName = "ct_login"
    static let lifetime: TimeInterval = 12 * 3600

    private let sessionKey: SymmetricKey
    private let csrfKey: SymmetricKey

    init(key: SecretKey) {
        self.sessionKey = key.derived(for: "session")
        self.csrfKey = key.derived(for: "csrf")
    }

    /// A new session for a user who just signed in.
    func newSession(for userName: String, now: Date = Date()) -> Session {
        Session(userName: userName, nonce: ViewToken.newRenderID(), expiresAt: now.addingTimeInterval(Self.lifetime))
    }

    /// The cookie value for a session: `claims.mac`, both base64url.
    func cookieValue(for session: Session) -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let claims = Base64URL.encode((try? encoder.encode(session)) ?? Data())
        let mac = HMAC<SHA256>.authenticationCode(for: Data(claims.utf8), using: sessionKey)
        return "\(claims).\(Base64URL.encode(mac))"
    }

    /// The session in a cookie value, or `nil` if it is forged, altered or expired.
    func session(fromCookie value: String, now: Date = Date()) -> Session? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard value.utf8.count < 2048, parts.count == 2, let mac = Base64URL.decode(parts[1]),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data(parts[0].utf8), using: sessionKey),
            let claims = Base64URL.decode(parts[0])
        else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        guard let session = try? decoder.decode(Session.self, from: claims), session.expiresAt > now else { return nil }
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
