import Crypto
import Foundation
import Testing

@testable import ClickTracker

@Suite("View tokens")
struct ViewTokenSignerTests {
    let signer = ViewTokenSigner(key: SymmetricKey(size: .bits256), lifetime: 3600)
    let document = DocumentReference(path: "/papers/budget.html", title: "Budget 2027")
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("A minted token verifies for its member and carries its claims")
    func valid() throws {
        let token = signer.mint(member: "alice", document: document, url: "/papers/budget.html", now: now)
        let claims = try signer.verify(token, member: "alice", now: now.addingTimeInterval(10))
        #expect(claims.member == "alice")
        #expect(claims.document == document)
        #expect(claims.url == "/papers/budget.html")
        #expect(claims.issuedAt == now)
        #expect(claims.expiresAt == now.addingTimeInterval(3600))
        #expect(claims.renderID.count == 22)
    }

    @Test("Every render gets its own id")
    func distinctRenderIDs() throws {
        let first = try signer.verify(signer.mint(member: "alice", document: document, url: "/a", now: now), member: "alice", now: now)
        let second = try signer.verify(signer.mint(member: "alice", document: document, url: "/a", now: now), member: "alice", now: now)
        #expect(first.renderID != second.renderID)
    }

    @Test("Another member's token is refused")
    func wrongMember() {
        let token = signer.mint(member: "alice", document: document, url: "/a", now: now)
        #expect(throws: ViewTokenSigner.VerificationError.wrongMember) { try signer.verify(token, member: "bob", now: now) }
    }

    @Test("An expired token is refused")
    func expired() {
        let token = signer.mint(member: "alice", document: document, url: "/a", now: now)
        #expect(throws: ViewTokenSigner.VerificationError.expired) {
            try signer.verify(token, member: "alice", now: now.addingTimeInterval(3601))
        }
    }

    @Test("A token from the future is refused")
    func future() {
        let token = signer.mint(member: "alice", document: document, url: "/a", now: now.addingTimeInterval(600))
        #expect(throws: ViewTokenSigner.VerificationError.notYetValid) { try signer.verify(token, member: "alice", now: now) }
    }

    @Test("A token signed with another key is refused")
    func forged() {
        let forger = ViewTokenSigner(key: SymmetricKey(size: .bits256))
        let token = forger.mint(member: "alice", document: document, url: "/a", now: now)
        #expect(throws: ViewTokenSigner.VerificationError.badSignature) { try signer.verify(token, member: "alice", now: now) }
    }

    @Test("Altered claims or MACs are refused, byte by byte")
    func tampered() throws {
        let token = signer.mint(member: "alice", document: document, url: "/papers/budget.html", now: now)
        #expect(token.hasPrefix("v2."))
        let payload = try #require(Base64URL.decode(token.dropFirst(3)))
        for index in payload.indices {
            var altered = payload
            altered[index] ^= 0x20
            let forged = "v2." + Base64URL.encode(altered)
            #expect(throws: ViewTokenSigner.VerificationError.badSignature) { try signer.verify(forged, member: "alice", now: now) }
        }
        // Claims cut short or lengthened, with or without their MAC.
        let shorter = "v2." + Base64URL.encode(payload.dropFirst())
        let longer = "v2." + Base64URL.encode(payload + [0])
        #expect(throws: ViewTokenSigner.VerificationError.badSignature) { try signer.verify(shorter, member: "alice", now: now) }
        #expect(throws: ViewTokenSigner.VerificationError.badSignature) { try signer.verify(longer, member: "alice", now: now) }
    }

    @Test("Every claim survives the binary form: key, URL, title and version only when they differ or exist")
    func binaryClaims() throws {
        let moved = DocumentReference(key: "doc-42", path: "/papers/ünïcode budget.html", title: "Budget — 2027 ✓")
        let version = DocumentVersion(id: "abc123", words: 300_000)
        let token = signer.mint(member: "o'brien@example.org", document: moved, url: "/papers/x?y", version: version, now: now)
        let claims = try signer.verify(token, member: "o'brien@example.org", now: now)
        #expect(claims.document == moved)
        #expect(claims.url == "/papers/x?y")
        #expect(claims.version == version)
        let plain = try signer.verify(
            signer.mint(member: "bob", document: DocumentReference(path: "/a"), url: "/a", now: now),
            member: "bob",
            now: now
        )
        #expect(plain.document == DocumentReference(path: "/a"))
        #expect(plain.document.title == nil)
        #expect(plain.version == nil)
        // The binary form refuses trailing bytes, unknown flags and lengths past the end.
        var bytes = ViewTokenBytes.encode(claims)
        #expect(ViewTokenBytes.decode(bytes[...]) == claims)
        #expect(ViewTokenBytes.decode((bytes + [0])[...]) == nil)
        #expect(ViewTokenBytes.decode(bytes.dropLast()) == nil)
        bytes[0] |= 0x80
        #expect(ViewTokenBytes.decode(bytes[...]) == nil)
        #expect(ViewTokenBytes.decode([][...]) == nil)
    }

    @Test("A version 1 token (JSON claims, minted before the upgrade) is still accepted until it expires; altered, it is refused")
    func versionOne() throws {
        let key = SymmetricKey(size: .bits256)
        let signer = ViewTokenSigner(key: key, lifetime: 3600)
        let claims = ViewToken(
            member: "alice",
            document: document,
            url: "/papers/budget.html",
            renderID: "r-1",
            issuedAt: now,
            expiresAt: now.addingTimeInterval(3600)
        )
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        func versionOne(_ json: Data) -> String {
            let signed = "v1." + Base64URL.encode(json)
            return signed + "." + Base64URL.encode(HMAC<SHA256>.authenticationCode(for: Data(signed.utf8), using: key))
        }
        let json = try encoder.encode(claims)
        #expect(try signer.verify(versionOne(json), member: "alice", now: now) == claims)
        #expect(throws: ViewTokenSigner.VerificationError.expired) {
            try signer.verify(versionOne(json), member: "alice", now: now.addingTimeInterval(3601))
        }
        let token = versionOne(json)
        let parts = token.split(separator: ".").map(String.init)
        let bob = Data(String(decoding: json, as: UTF8.self).replacingOccurrences(of: "alice", with: "bob").utf8)
        let altered = [parts[0], Base64URL.encode(bob), parts[2]].joined(separator: ".")
        #expect(throws: ViewTokenSigner.VerificationError.badSignature) { try signer.verify(altered, member: "bob", now: now) }
    }

    @Test(
        "Malformed tokens are refused",
        arguments: ["", "v1", "v1.abc", "v2", "v2.", "v2.abc.def", "v2.!!", "v3.AAAA", "v1.!!.!!", String(repeating: "a", count: 9000)]
    )
    func malformed(token: String) {
        #expect(throws: ViewTokenSigner.VerificationError.malformed) { try signer.verify(token, member: "alice", now: now) }
    }
}
