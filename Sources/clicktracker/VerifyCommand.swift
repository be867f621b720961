import ArgumentParser
import ClickTracker
import ClickTrackerServer
import Foundation

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract:
            "Check the evidence log against the database: that no recorded view or acknowledgement was changed, removed or added behind ClickTracker's back.",
        discussion: """
            Recomputes the log's SHA-256 chain, checks every checkpoint's Ed25519 signature, and compares every view row and \
            acknowledgement with the entry that last recorded it. Names the first entry that does not match and the rows it \
            covers; exits with status 1 when anything does not match. Entries written in the last few seconds may not be \
            sealed yet: they are checked all the same. Holds one line per row in memory (about 150 bytes a view).
            """
    )

    @OptionGroup var store: GroupCommand.StoreOptions

    @Option(help: "The server's public key (PEM, as served at /_clicktracker/evidence/key); default: derived from the configured server secret.")
    var key: String?

    func run() async throws {
        let publicKey = try await loadKey()
        let report = try await store.withStore(mustExist: true) { storage in
            guard let log = storage as? any EvidenceLog else { throw CommandError("this store keeps no evidence log") }
            return try await EvidenceVerifier(log: log, key: publicKey).verify()
        }
        print(Self.describe(report, key: publicKey))
        if !report.isIntact { throw ExitCode(1) }
    }

    private func loadKey() async throws -> EvidencePublicKey {
        if let key {
            let text: String
            do { text = try String(contentsOfFile: key, encoding: .utf8) } catch {
                throw CommandError("cannot read the key \(key): \(error.localizedDescription)")
            }
            do { return try EvidencePublicKey(text: text) } catch { throw CommandError("\(key) is \(error)") }
        }
        let configuration: ServerConfiguration
        do { configuration = try await ServerConfiguration.load(file: store.config) } catch { throw CommandError("\(error)") }
        if configuration.keySecret == nil, !FileManager.default.fileExists(atPath: configuration.keyFile) {
            throw CommandError(
                "there is no server key at \(configuration.keyFile): give the server's configuration with --config FILE, or its public key with --key FILE"
            )
        }
        do { return EvidenceSigningKey(secret: try configuration.loadKey()).publicKey } catch { throw CommandError("\(error)") }
    }

    /// The report in words.
    static func describe(_ report: EvidenceReport, key: EvidencePublicKey) -> String {
        var lines: [String] = []
        let waiting = report.waitingEntries > 0 ? " (and \(report.waitingEntries) waiting to be sealed)" : ""
        lines.append(
            "Checked \(count(report.sealedEntries, "sealed entry", "sealed entries"))\(waiting) against \(count(report.viewsChecked, "view row", "view rows")) and \(count(report.acknowledgementsChecked, "acknowledgement", "acknowledgements"))."
        )
        if let checkpoint = report.latestCheckpoint {
            lines.append(
                "Latest checkpoint: \(count(Int(checkpoint.size), "entry", "entries")), signed \(checkpoint.date.formatted(.iso8601)) with key \(key.id)."
            )
        } else {
            lines.append("No checkpoint signed with key \(key.id) yet.")
        }
        guard !report.isIntact else {
            lines.append("Everything matches: nothing recorded was changed, removed or added outside ClickTracker.")
            return lines.joined(separator: "\n")
        }
        lines.append("DOES NOT MATCH: \(count(report.problems.count, "problem", "problems")).")
        if let first = report.firstBadEntry {
            let rows = report.firstBadEntryRows
            let shown = rows.prefix(20).joined(separator: ", ") + (rows.count > 20 ? " and \(rows.count - 20) more" : "")
            lines.append("The first entry that does not match is \(first.description); it covers \(shown.isEmpty ? "no rows" : shown).")
        }
        for problem in report.problems.prefix(50) {
            lines.append("  - \(problem.entry.map { "\($0.description): " } ?? "")\(problem.reason)")
        }
        if report.problems.count > 50 { lines.append("  … and \(report.problems.count - 50) more") }
        return lines.joined(separator: "\n")
    }

    /// "1 entry", "2 entries".
    static func count(_ number: Int, _ one: String, _ many: String) -> String {
        "\(number) \(number == 1 ? one : many)"
    }
}
