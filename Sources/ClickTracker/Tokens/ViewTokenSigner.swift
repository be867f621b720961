import Crypto
import Foundation

/// Mints and verifies view tokens with HMAC-SHA256.
///
/// A token is `v2.<payload>`, base64url: the claims in their compact binary form
/// (``ViewTokenBytes``) followed by the first 16 bytes of their MAC (over `v2` and the claims).
/// Tokens of version 1 (`v1.<JSON claims>.<mac>`, minted before) are still verified until they
/// expire, so pages open during an upgrade are still recorded.
public struct ViewTokenSigner: Sendable {
    /// Why a token was refused. None of these ever writes a row.
    public enum VerificationError: Error, Equatable, CustomStringConvertible {
        case malformed
        case badSignature
        case expired
        case notYetValid
        case wrongMember

        public var description: String {
            switch self {
            case .malformed: "the view token is malformed"
            case .badSignature: "the view token's signature does not match"
            case .expired: "the view token has expired"
            case .notYetValid: "the view token was issued in the future"
            case .wrongMember: "the view token belongs to another member"
            }
        }
    }

    /// Longest token accepted, in bytes; anything longer is malformed without further work.
    public static let maximumTokenLength = 8192
    private static let version = "v2"
    private static let macLength = 16
    private static let clockSkew: TimeInterval = 60

    private let key: SymmetricKey
    /// An HMAC already keyed for version 2 tokens (`v2` fed in), copied for every MAC.
    private let keyedMAC: HMAC<SHA256>
    /// How long a minted token is accepted.
    public let lifetime: TimeInterval

    /// Creates a signer.
    /// - Parameters:
    ///   - key: The secret used for the MAC.
    ///   - lifetime: How long a token is accepted after it is minted (default 12 hours).
    public init(key: SymmetricKey, lifetime: TimeInterval = 12 * 3600) {
        self.key = key
        self.lifetime = lifetime
        var keyedMAC = HMAC<SHA256>(key: key)
        keyedMAC.update(data: Array(Self.version.utf8))
        self.keyedMAC = keyedMAC
    }

    /// Creates the signer every ClickTracker instance sharing `secret` agrees on.
    /// - Parameters:
    ///   - secret: The server secret; the token key is derived from it.
    ///   - lifetime: How long a token is accepted after it is minted.
    public init(secret: SecretKey, lifetime: TimeInterval = 12 * 3600) {
        self.init(key: secret.derived(for: "view-token"), lifetime: lifetime)
    }

    /// Mints a token for one render of a document.
    /// - Parameters:
    ///   - member: The signed-in member the page is rendered for.
    ///   - document: The document rendered.
    ///   - url: The URL it is rendered at.
    ///   - version: The version of the document rendered, when known.
    ///   - now: The time of rendering.
    public func mint(
        member: String,
        document: DocumentReference,
        url: String,
        version: DocumentVersion? = nil,
        now: Date = Date()
    ) -> String {
        let issuedAt = Date(timeIntervalSince1970: (now.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
        let token = ViewToken(
            member: member,
            document: document,
            url: url,
            renderID: ViewToken.newRenderID(now: now),
            issuedAt: issuedAt,
            expiresAt: issuedAt.addingTimeInterval(lifetime),
            version: version
        )
        return sign(token)
    }

    /// Signs the given claims as they are.
    public func sign(_ token: ViewToken) -> String {
        var payload = ViewTokenBytes.encode(token)
        payload.append(contentsOf: mac(payload[...]))
        return Self.version + "." + Base64URL.encode(payload)
    }

    /// The truncated MAC of version 2 claims.
    private func mac(_ claims: ArraySlice<UInt8>) -> [UInt8] {
        var hmac = keyedMAC
        hmac.update(data: claims)
        return Array(hmac.finalize().prefix(Self.macLength))
    }

    /// Verifies a token and returns its claims.
    /// - Parameters:
    ///   - token: The token as the browser sent it.
    ///   - member: The member signed in on the beacon request; the token must be theirs.
    ///   - now: The time of verification.
    public func verify(_ token: String, member: String, now: Date = Date()) throws(VerificationError) -> ViewToken {
        guard token.utf8.count <= Self.maximumTokenLength else { throw .malformed }
        let claims: ViewToken
        if token.utf8.starts(with: "v1.".utf8) {
            claims = try verifyVersion1(token)
        } else {
            guard token.utf8.starts(with: "v2.".utf8), let payload = Base64URL.decode(Substring(token.utf8.dropFirst(3))).map(Array.init),
                payload.count > Self.macLength
            else { throw .malformed }
            let claimBytes = payload.dropLast(Self.macLength)
            guard Self.constantTimeEqual(mac(claimBytes), payload.suffix(Self.macLength)) else { throw .badSignature }
            guard let decoded = ViewTokenBytes.decode(claimBytes) else { throw .malformed }
            claims = decoded
        }
        guard claims.expiresAt > now else { throw .expired }
        guard claims.issuedAt <= now.addingTimeInterval(Self.clockSkew) else { throw .notYetValid }
        guard claims.member == member else { throw .wrongMember }
        return claims
    }

    /// The claims of a version 1 token: `v1.<claims>.<mac>`, JSON claims, the MAC over `v1.<claims>`.
    private func verifyVersion1(_ token: String) throws(VerificationError) -> ViewToken {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let mac = Base64URL.decode(parts[2]) else { throw .malformed }
        let signed = Data("\(parts[0]).\(parts[1])".utf8)
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: signed, using: key) else {
            throw .badSignature
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        guard let claims = Base64URL.decode(parts[1]), let decoded = try? decoder.decode(ViewToken.self, from: claims) else {
            throw .malformed
        }
        return decoded
    }

    /// Compares two MACs in time that does not depend on where they differ.
    private static func constantTimeEqual(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
