import Foundation

/// Recomputes an evidence log from a database: the chain of its entries, the signatures and heads
/// of its checkpoints, and every view row and acknowledgement against the latest entry that
/// recorded it. Holds one key and digest per row in memory.
public struct EvidenceVerifier: Sendable {
    /// The log to check.
    public let log: any EvidenceLog
    /// The key its checkpoints must be signed with.
    public let key: EvidencePublicKey

    /// Entries or rows read at a time.
    static let page = 5_000

    /// Creates a verifier.
    public init(log: any EvidenceLog, key: EvidencePublicKey) {
        self.log = log
        self.key = key
    }

    /// Where a row was last recorded.
    private struct Recorded {
        var digest: String?
        var entry: EvidenceReport.EntryName
    }

    /// Checks the whole log.
    public func verify() async throws -> EvidenceReport {
        var report = EvidenceReport()
        var checkpoints = try await log.evidenceCheckpoints()
        for checkpoint in checkpoints where !checkpoint.isSigned(by: key) {
            report.problems.append(
                .init(entry: nil, rows: [], reason: "the checkpoint of \(checkpoint.size) entries is not signed by this server's key")
            )
        }
        checkpoints.removeAll { !$0.isSigned(by: key) }
        report.latestCheckpoint = checkpoints.last
        var byChain: [Int64: EvidenceCheckpoint] = [:]
        for checkpoint in checkpoints { byChain[checkpoint.size] = checkpoint }

        var recorded: [EvidenceRow.Kind: [String: Recorded]] = [.view: [:], .acknowledgement: [:]]
        var chain = EvidenceEntry.genesis
        var position: Int64 = 0
        func take(_ entry: EvidenceEntry, name: EvidenceReport.EntryName) {
            guard let leaves = EvidenceLeaf.parse(entry.leaves) else {
                report.problems.append(.init(entry: name, rows: [], reason: "its text is not a list of rows and digests"))
                return
            }
            for leaf in leaves { recorded[leaf.kind, default: [:]][leaf.key] = Recorded(digest: leaf.digest, entry: name) }
        }
        while true {
            let entries = try await log.evidenceEntries(sealed: true, after: position, limit: Self.page)
            for entry in entries {
                let expected = position + 1
                let name = EvidenceReport.EntryName(position: entry.position ?? expected, id: entry.id, at: entry.at, kind: entry.kind)
                if entry.position != expected {
                    report.problems.append(
                        .init(entry: name, rows: [], reason: "entries \(expected) to \((entry.position ?? expected) - 1) are missing from the chain")
                    )
                }
                let value = entry.chainValue(after: chain, position: entry.position ?? expected)
                if value != entry.chain {
                    report.problems.append(
                        .init(entry: name, rows: leafNames(entry), reason: "it was changed after it was sealed: its chain value does not match")
                    )
                }
                chain = entry.chain ?? value
                position = entry.position ?? expected
                if let checkpoint = byChain[position], checkpoint.head != chain {
                    report.problems.append(
                        .init(
                            entry: name,
                            rows: leafNames(entry),
                            reason: "the log does not match the checkpoint signed at \(checkpoint.size) entries"
                        )
                    )
                }
                take(entry, name: name)
                report.sealedEntries += 1
            }
            if entries.count < Self.page { break }
        }
        if let last = checkpoints.last, last.size > position {
            report.problems.append(
                .init(
                    entry: nil,
                    rows: [],
                    reason: "the checkpoint signed at \(last.size) entries covers entries that are gone (the log ends at \(position))"
                )
            )
        }
        var afterID: Int64 = 0
        while true {
            let entries = try await log.evidenceEntries(sealed: false, after: afterID, limit: Self.page)
            for entry in entries {
                take(entry, name: EvidenceReport.EntryName(position: nil, id: entry.id, at: entry.at, kind: entry.kind))
                report.waitingEntries += 1
                afterID = entry.id
            }
            if entries.count < Self.page { break }
        }

        var views = recorded[.view] ?? [:]
        var afterView: Int64 = 0
        while true {
            let rows = try await log.viewEvidence(after: afterView, limit: Self.page)
            for (id, row) in rows {
                check(row, against: views.removeValue(forKey: row.key), into: &report)
                afterView = id
            }
            report.viewsChecked += rows.count
            if rows.count < Self.page { break }
        }
        var acknowledgements = recorded[.acknowledgement] ?? [:]
        var afterRender = ""
        while true {
            let rows = try await log.acknowledgementEvidence(after: afterRender, limit: Self.page)
            for row in rows {
                check(row, against: acknowledgements.removeValue(forKey: row.key), into: &report)
                afterRender = row.key
            }
            report.acknowledgementsChecked += rows.count
            if rows.count < Self.page { break }
        }
        for (kind, remaining) in [(EvidenceRow.Kind.view, views), (.acknowledgement, acknowledgements)] {
            for (key, last) in remaining where last.digest != nil {
                report.problems.append(
                    .init(
                        entry: last.entry,
                        rows: [Self.name(kind, key)],
                        reason: "\(Self.name(kind, key)) is gone from the database, and no retention or purge removed it"
                    )
                )
            }
        }
        report.problems.sort()
        if let first = report.firstBadEntry {
            let entries =
                if let position = first.position {
                    try await log.evidenceEntries(sealed: true, after: position - 1, limit: 1)
                } else {
                    try await log.evidenceEntries(sealed: false, after: first.id - 1, limit: 1)
                }
            report.firstBadEntryRows = entries.first.map(leafNames) ?? []
        }
        return report
    }

    private func check(_ row: EvidenceRow, against recorded: Recorded?, into report: inout EvidenceReport) {
        let name = Self.name(row.kind, row.key)
        guard let recorded else {
            report.problems.append(.init(entry: nil, rows: [name], reason: "\(name) is in no entry of the log: it was added outside ClickTracker"))
            return
        }
        if recorded.digest == nil {
            report.problems.append(
                .init(entry: recorded.entry, rows: [name], reason: "\(name) was removed by this entry but is in the database again")
            )
        } else if recorded.digest != row.digest {
            report.problems.append(.init(entry: recorded.entry, rows: [name], reason: "\(name) was changed after this entry recorded it"))
        }
    }

    private func leafNames(_ entry: EvidenceEntry) -> [String] {
        (EvidenceLeaf.parse(entry.leaves) ?? []).map { Self.name($0.kind, $0.key) }
    }

    static func name(_ kind: EvidenceRow.Kind, _ key: String) -> String {
        switch kind {
        case .view: "view row \(key)"
        case .acknowledgement: "the acknowledgement from render \(key)"
        }
    }
}
