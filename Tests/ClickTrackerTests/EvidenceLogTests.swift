import Crypto
import Foundation
import Testing

@testable import ClickTracker

/// The evidence log's formats, as the README documents them for people who check without
/// ClickTracker: digests computed independently (Python's hashlib), the chain, checkpoints.
@Suite("Evidence log formats")
struct EvidenceLogTests {
    @Test("A row's digest is the SHA-256 of its documented canonical text (lengths in bytes, '-' for missing)")
    func canonicalText() {
        let view = EvidenceRow.view(
            id: 7,
            renderID: "r-1",
            member: "alïce",
            documentID: 3,
            url: "/p/a.html",
            issuedAt: 1000,
            viewedAt: 2000,
            version: nil,
            words: 120,
            activeMilliseconds: 0,
            maximumScroll: 0,
            reachedEnd: false,
            automated: true,
            reportSequence: -1,
            reportedAt: 2000,
            finished: false
        )
        // hashlib.sha256("view\n1:7\n3:r-1\n6:alïce\n1:3\n9:/p/a.html\n4:1000\n4:2000\n-\n3:120\n1:0\n1:0\n1:0\n1:1\n2:-1\n4:2000\n1:0\n")
        #expect(view == EvidenceRow(kind: .view, key: "7", digest: "c0954b2dc5b3bf590e6deab5fcdd3fde7167d538ab17305fcb5c132f7d9d3a90"))
        let acknowledgement = EvidenceRow.acknowledgement(renderID: "r-1", member: "alïce", documentID: 3, version: "", at: 2500)
        #expect(acknowledgement.digest == "917e34782117696cc3260e2cdd7129a9f85a26b0b43bb3faf75239f3fac5f115")
        #expect([UInt8]([0x00, 0x0F, 0xA0, 0xFF]).hexString == "000fa0ff")
    }

    @Test("Leaves round-trip through their text; anything else is refused")
    func leaves() {
        let leaves = [
            EvidenceLeaf(kind: .view, key: "12", digest: String(repeating: "a", count: 64)),
            EvidenceLeaf(kind: .acknowledgement, key: "render 1", digest: nil),
        ]
        let text = EvidenceLeaf.lines(leaves)
        #expect(text == "v 12 \(String(repeating: "a", count: 64))\na render 1 -\n")
        #expect(EvidenceLeaf.parse(text) == leaves)
        #expect(EvidenceLeaf.parse("x 12 -\n") == nil)
        #expect(EvidenceLeaf.parse("v 12 abc\n") == nil)
        #expect(EvidenceLeaf.parse("v12\n") == nil)
    }

    @Test("The chain value is the SHA-256 of the previous value, position, time, kind and lines; a checkpoint verifies only unchanged")
    func chainAndCheckpoint() throws {
        let entry = EvidenceEntry(id: 1, at: 1_800_000_000_000, kind: "record", leaves: "v 1 -\n")
        let text = "\(EvidenceEntry.genesis)\n1\n1800000000000\nrecord\nv 1 -\n"
        #expect(entry.chainValue(after: EvidenceEntry.genesis, position: 1) == SHA256.hash(data: Data(text.utf8)).hexString)
        #expect(entry.chainValue(after: EvidenceEntry.genesis, position: 2) != entry.chainValue(after: EvidenceEntry.genesis, position: 1))

        let key = EvidenceSigningKey(secret: SecretKey(bytes: Data(repeating: 3, count: 32)))
        let checkpoint = EvidenceCheckpoint.sign(
            EvidenceHead(size: 1, chain: entry.chainValue(after: EvidenceEntry.genesis, position: 1)),
            at: Date(),
            with: key
        )
        #expect(checkpoint.isSigned(by: key.publicKey))
        #expect(checkpoint.signedText.hasPrefix("ClickTracker evidence log\n\(key.publicKey.id)\n1\n"))
        var moved = checkpoint
        moved.size = 2
        #expect(!moved.isSigned(by: key.publicKey))
        let other = EvidenceSigningKey(secret: SecretKey(bytes: Data(repeating: 4, count: 32))).publicKey
        #expect(!checkpoint.isSigned(by: other))
        // The same secret gives the same key; the PEM and the raw base64 both read back.
        #expect(EvidenceSigningKey(secret: SecretKey(bytes: Data(repeating: 3, count: 32))).publicKey == key.publicKey)
        #expect(try EvidencePublicKey(text: key.publicKey.pem) == key.publicKey)
        #expect(try EvidencePublicKey(text: key.publicKey.base64) == key.publicKey)
        #expect(throws: EvidencePublicKey.FormatError.self) {
            try EvidencePublicKey(text: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
        }
    }
}
