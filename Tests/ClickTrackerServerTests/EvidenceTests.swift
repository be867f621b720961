import ClickTrackerTestSupport
import Foundation
import SQLiteNIO
import Testing

@testable import ClickTracker
@testable import ClickTrackerServer

/// The evidence a third party can check afterwards, over a live socket and through the binary:
/// the public key, signed receipts of a request (on demand and at the deadline), `receipt verify`
/// (and openssl, without ClickTracker), and `verify` on the server's database.
@Suite("Evidence log and signed receipts")
struct EvidenceTests {
    /// The number of the receipt listed with `reason` on a request's page (a busy machine may
    /// have passed the deadline before the page is read, listing the deadline's receipt first).
    static func receiptLink(in page: String, reason: String, request url: String) -> String? {
        let row = page.components(separatedBy: "<tr>").first { $0.contains("<td>\(reason)</td>") && $0.contains("/receipts/") }
        return row?.components(separatedBy: "href=\"\(url)/receipts/").dropFirst().first.map { String($0.prefix { $0 != "\"" }) }
    }

    @Test(
        "Receipts: issued on demand and at the deadline, downloaded by an admin only, verified offline by the binary and by openssl; one changed field or another key is refused"
    )
    func receipts() async throws {
        var configured = try await RequestsPageTests.fixture()
        configured.configuration.requestCheckInterval = 0.5
        let fixture = configured
        defer { fixture.remove() }
        let files = try TemporaryDirectory("receipts")
        defer { files.remove() }
        let database = fixture.configuration.databasePath
        let expectedKey = EvidenceSigningKey(secret: try fixture.configuration.loadKey()).publicKey
        try await fixture.withServer { port in
            // The public key, for anyone.
            let anonymous = HTTPSession(port: port)
            let served = try await anonymous.get("/_clicktracker/evidence/key")
            #expect(served.status == 200 && served.body.hasPrefix("-----BEGIN PUBLIC KEY-----"))
            #expect(try EvidencePublicKey(text: served.body) == expectedKey)
            let keyFile = try files.write("key.pem", served.body)

            let (admin, csrf) = try await RequestsPageTests.chair(port: port)
            try await RequestsPageTests.readEverything(as: "alice", port: port)
            try await RequestsPageTests.read("/papers/budget.html", as: "bob", port: port, activeFor: nil)
            // A deadline a few seconds away, in UTC.
            let deadline = Date().addingTimeInterval(6)
            let parts = Calendar(identifier: .gregorian).dateComponents(in: .gmt, from: deadline)
            let created = try await admin.post(
                "/_clicktracker/requests",
                form: [
                    ("csrf", csrf), ("action", "create"), ("title", "Board <meeting>"), ("path", "/papers"), ("group", "board"),
                    ("date", String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)),
                    ("time", String(format: "%02d:%02d:%02d", parts.hour!, parts.minute!, parts.second!)), ("time-zone", "UTC"),
                ]
            )
            let url = try #require(created.header("Location")).components(separatedBy: "?")[0]
            let id = try #require(try await fixture.readingRequests().first?.id)
            #expect(try await admin.get(url).body.contains("No receipt has been issued yet."))

            // On demand.
            let issued = try await admin.post("/_clicktracker/requests", form: [("csrf", csrf), ("action", "receipt"), ("id", String(id))])
            #expect(issued.status == 302 && issued.header("Location")?.hasSuffix("done=receipt-issued#receipts") == true)
            let page = try await admin.get(url).body
            #expect(page.contains("asked for") && page.contains("<td>chair</td>"))
            let link = try #require(Self.receiptLink(in: page, reason: "asked for", request: url))
            let download = try await admin.get("\(url)/receipts/\(link)")
            #expect(
                download.status == 200 && download.header("Content-Disposition")?.hasPrefix("attachment; filename=\"receipt-request-\(id)-") == true
            )
            // Not for readers, nor for anyone signed out.
            let alice = HTTPSession(port: port)
            try await alice.signIn("alice")
            #expect(try await alice.get("\(url)/receipts/\(link)").status == 403)
            #expect(try await anonymous.get("\(url)/receipts/\(link)").status == 302)
            #expect(try await admin.get("\(url)/receipts/999").status == 404)

            let receipt = try ReadingReceipt(json: Data(download.body.utf8))
            let document = try receipt.verify(with: expectedKey)
            #expect(document["reason"] as? String == "on demand" && document["issued_by"] as? String == "chair")
            #expect((document["request"] as? [String: Any])?["title"] as? String == "Board <meeting>")
            let readers = try #require(document["readers"] as? [[String: Any]])
            #expect(readers.map { $0["member"] as? String } == ["alice", "bob", "chair"])
            #expect(readers.map { $0["stage"] as? String } == ["read", "opened", "not opened"])
            let aliceBudget = try #require((readers[0]["documents"] as? [[String: Any]])?.last)
            #expect(aliceBudget["path"] as? String == "/papers/budget.html" && aliceBudget["stage"] as? String == "read")
            let evidence = try #require((aliceBudget["evidence"] as? [[String: Any]])?.first)
            #expect(evidence["views"] as? Int == 1 && (evidence["active_ms"] as? Int ?? 0) > 0 && evidence["read_at"] is String)
            let checkpoint = try #require((document["evidence_log"] as? [String: Any])?["checkpoint"] as? [String: Any])
            #expect((checkpoint["size"] as? Int ?? 0) >= 4 && checkpoint["key_id"] as? String == expectedKey.id)

            // At the deadline, without anyone asking.
            #expect(try await eventually(seconds: 60) { try await admin.get(url).body.contains("<td>the deadline passed</td>") })
            let final = try await admin.get(url).body
            let deadlineLink = try #require(Self.receiptLink(in: final, reason: "the deadline passed", request: url))
            let deadlineReceipt = try await admin.get("\(url)/receipts/\(deadlineLink)").body
            let frozen = try ReadingReceipt(json: Data(deadlineReceipt.utf8)).verify(with: expectedKey)
            #expect(frozen["reason"] as? String == "deadline" && frozen["issued_by"] as? String == "ClickTracker")
            #expect(frozen["status_as_of"] as? String == WebhookMessage.iso8601(try #require(try await fixture.readingRequests().first?.deadline)))
            #expect((frozen["counts"] as? [String: Int])?["read"] == 1)

            // Offline, by the binary: valid with the site's key.
            let file = try files.write("receipt.json", deadlineReceipt)
            let valid = try await CommandLineTests.run(["receipt", "verify", file, "--key", keyFile])
            #expect(valid.status == 0 && valid.output.contains("Valid: signed by key \(expectedKey.id), the key given."), "\(valid.output)")
            #expect(valid.output.contains("1 of 3 had read everything"))

            // Without ClickTracker: openssl checks the payload's exact bytes against the PEM key.
            let payload = try files.write("payload", receipt.payload)
            let signature = files.file("signature")
            try #require(Data(base64Encoded: receipt.signature)).write(to: URL(fileURLWithPath: signature))
            let openssl = try ChildProcess(
                "/usr/bin/openssl",
                ["pkeyutl", "-verify", "-pubin", "-inkey", keyFile, "-rawin", "-in", payload, "-sigfile", signature],
                output: files.file("openssl.out")
            )
            #expect(try await openssl.exitStatus() == 0)
            #expect(try String(contentsOfFile: files.file("openssl.out"), encoding: .utf8).contains("Signature Verified Successfully"))

            // One field changed — bob "read" instead of "opened" — is refused; so is another server's key.
            var object = try #require(try JSONSerialization.jsonObject(with: Data(deadlineReceipt.utf8)) as? [String: Any])
            let signed = try #require(object["payload"] as? String)
            let bob = try #require(signed.range(of: "\"member\" : \"bob\"") ?? signed.range(of: "\"member\":\"bob\""))
            let stage = try #require(signed.range(of: "\"opened\"", range: bob.upperBound..<signed.endIndex))
            object["payload"] = signed.replacingCharacters(in: stage, with: "\"read\"")
            let altered = files.file("altered.json")
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: altered))
            let refused = try await CommandLineTests.run(["receipt", "verify", altered, "--key", keyFile])
            #expect(refused.status == 1 && refused.output.contains("NOT VALID: the signature does not match"), "\(refused.output)")
            let otherKey = try files.write("other.pem", EvidenceSigningKey(secret: SecretKey(bytes: Data(repeating: 1, count: 32))).publicKey.pem)
            let wrongKey = try await CommandLineTests.run(["receipt", "verify", file, "--key", otherKey])
            #expect(wrongKey.status == 1 && wrongKey.output.contains("not by the key given"), "\(wrongKey.output)")
            let notReceipt = try await CommandLineTests.run(["receipt", "verify", keyFile])
            #expect(notReceipt.status == 1 && notReceipt.output.contains("not a ClickTracker receipt"), "\(notReceipt.output)")

            // The server's database checks out against the published key; one view row edited in SQL does not.
            let intact = try await CommandLineTests.run(["verify", "--database", database, "--key", keyFile])
            #expect(intact.status == 0 && intact.output.contains("Everything matches"), "\(intact.output)")
            let raw = try await SQLiteConnection.open(storage: .file(path: database))
            _ = try await raw.query("UPDATE view SET active_ms = 600000 WHERE member = 'bob'")
            try await raw.close()
            let tampered = try await CommandLineTests.run(["verify", "--database", database, "--key", keyFile])
            #expect(tampered.status == 1 && tampered.output.contains("DOES NOT MATCH: 1 problem."), "\(tampered.output)")
            #expect(tampered.output.contains("The first entry that does not match is entry "), "\(tampered.output)")
            #expect(tampered.output.contains("was changed after this entry recorded it"), "\(tampered.output)")
            await admin.close()
            await alice.close()
            await anonymous.close()
        }
    }
}
