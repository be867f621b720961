import ArgumentParser
import ClickTracker
import Foundation

struct ReceiptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt",
        abstract: "Work with the signed receipts of reading requests.",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a receipt's signature offline, and that of the evidence log checkpoint it rests on.",
            discussion: """
                Needs no server and no database. Give the site's public key (saved from /_clicktracker/evidence/key) with \
                --key; without it the key inside the receipt is used, which shows the receipt is intact but not who signed it. \
                Exits with status 1 when the receipt does not verify.
                """
        )

        @Argument(help: "The receipt file (JSON), as downloaded from the request's page.")
        var file: String

        @Option(help: "The server's public key (PEM, or 32 bytes in base64).")
        var key: String?

        func run() async throws {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                throw CommandError("cannot read \(file): \(error.localizedDescription)")
            }
            var trusted: EvidencePublicKey?
            if let key {
                do {
                    trusted = try EvidencePublicKey(text: try String(contentsOfFile: key, encoding: .utf8))
                } catch let error as EvidencePublicKey.FormatError {
                    throw CommandError("\(key) is \(error)")
                } catch {
                    throw CommandError("cannot read the key \(key): \(error.localizedDescription)")
                }
            }
            let document: [String: Any]
            do {
                document = try ReadingReceipt(json: data).verify(with: trusted)
            } catch {
                print("NOT VALID: \(error)")
                throw ExitCode(1)
            }
            let request = document["request"] as? [String: Any] ?? [:]
            let counts = document["counts"] as? [String: Any] ?? [:]
            let log = document["evidence_log"] as? [String: Any] ?? [:]
            let checkpoint = log["checkpoint"] as? [String: Any] ?? [:]
            print(
                "Valid: signed by key \(checkpoint["key_id"] ?? "?")\(trusted == nil ? " (the key inside the receipt: compare it with the site's published key, or give it with --key)" : ", the key given")."
            )
            print("Reading request \(request["id"] ?? "?"): \(request["title"] ?? "?"), deadline \(request["deadline"] ?? "?").")
            print("Status as of \(document["status_as_of"] ?? "?"): \(counts["read"] ?? "?") of \(counts["expected"] ?? "?") had read everything.")
            print(
                "Issued \(document["issued_at"] ?? "?") (\(document["reason"] ?? "?")), resting on the evidence log's checkpoint of \(VerifyCommand.count(checkpoint["size"] as? Int ?? 0, "entry", "entries"))."
            )
        }
    }
}
