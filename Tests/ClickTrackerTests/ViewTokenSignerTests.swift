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

    @Test("Altered claims are refused")
    func tampered() throws {
        let token = signer.mint(member: "alice", document: document, url: "/papers/budget.html", now: now)
        let parts = token.split(separator: ".").map(String.init)
        var claims = try #require(Base64URL.decode(parts[1]))
        let json = String(decoding: claims, as: UTF8.self).replacingOccurrences(of: "alice", with: "bob")
        claims = Data(json.utf8)
        let altered = [parts[0], Base64URL.encode(claims), parts[2]].joined(separator: ".")
        #expect(throws: ViewTokenSigner.VerificationError.badSignature) { try signer.verify(altered, member: "bob", now: now) }
        var flipped = Array(token.utf8)
        flipped[10] = flipped[10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: (any Error).self) { try signer.verify(String(decoding: flipped, as: UTF8.self), member: "alice", now: now) }
    }

    @Test("Malformed tokens are refused", arguments: ["", "v1", "v1.abc", "v2.abc.def", "v1.!!.!!", String(repeating: "a", count: 9000)])
    func malformed(token: String) {
        #expect(throws: ViewTokenSigner.VerificationError.malformed) { try signer.verify(token, member: "alice", now: now) }
    }
}
