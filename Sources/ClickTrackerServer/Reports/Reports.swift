import ClickTracker
import Foundation

/// The reports as sheets: the same rows in the CSV and JSON downloads, the JSON API and
/// `clicktracker report`, with the columns their pages show.
public enum Reports {
    /// The access log under a section (the seed's report): per member and URL, how often and
    /// when, in the query's order (its page is ignored: the sheet reads its own).
    public static func accessLog(_ storage: any ClickStorage, _ query: AccessLogQuery) -> ReportSheet {
        ReportSheet(
            kind: "access-log",
            about: [("section", .text(query.section.value)), ("user", .text(query.member))],
            columns: ["user", "name", "url", "title", "count", "first_access", "last_access"],
            terminalColumns: ["user", "url", "count", "first_access", "last_access"]
        ) { offset, limit, countsTotal, after in
            let page = try await storage.accessLog(query.page(offset: offset, limit: limit, countsTotal: countsTotal, after: after))
            let people = try await storage.people(Array(Set(page.entries.map(\.member))))
            let rows = page.entries.map { entry -> [ReportCell] in
                [
                    .text(entry.member), .text(people[entry.member]?.displayName), .text(entry.url), .text(entry.title),
                    .integer(entry.count), .time(entry.firstAccess), .time(entry.lastAccess),
                ]
            }
            return .init(rows: rows, total: page.total, next: page.next)
        }
    }

    /// The columns of the readers report and of a person's history.
    static let readerColumns = [
        "user", "name", "path", "title", "verdict", "counts_as_read", "active_seconds", "required_seconds", "max_scroll_percent",
        "reached_end", "acknowledged_at", "version", "earlier_version", "automated", "views", "first_view", "last_view",
    ]

    /// Who read what under a section, with the evidence and the verdict under each document's
    /// section policy, in the query's order; with a member and the root, that person's history.
    public static func readers(_ storage: any ClickStorage, _ query: ReadersQuery) async throws -> ReportSheet {
        let policies = try await SectionPolicies.load(storage)
        let isHistory = query.member != nil && query.section.isRoot
        return ReportSheet(
            kind: isHistory ? "history" : "readers",
            about: [("section", .text(query.section.value)), ("user", .text(query.member))],
            columns: readerColumns,
            terminalColumns: isHistory
                ? ["path", "verdict", "counts_as_read", "views", "last_view"] : ["user", "path", "verdict", "counts_as_read", "last_view"]
        ) { offset, limit, countsTotal, after in
            let page = try await storage.readers(query.page(offset: offset, limit: limit, countsTotal: countsTotal, after: after))
            let people = try await storage.people(Array(Set(page.readers.map(\.member))))
            var policy: [String: ReadingPolicy] = [:]
            let rows = page.readers.map { reader in
                let path = reader.document.path
                if policy[path] == nil { policy[path] = policies.policy(forDocument: path) }
                return readerRow(reader, person: people[reader.member], policy: policy[path] ?? .standard)
            }
            return .init(rows: rows, total: page.total, next: page.next)
        }
    }

    static func readerRow(_ reader: ReaderSummary, person: Person?, policy: ReadingPolicy) -> [ReportCell] {
        let verdict = reader.verdict(policy)
        let evidence = verdict.evidence
        return [
            .text(reader.member), .text(person?.displayName), .text(reader.document.path), .text(reader.document.title),
            .text(verdict.label), .flag(verdict.counts), .integer(evidence.activeMilliseconds / 1000),
            .integer(verdict.requiredMilliseconds / 1000), .integer(evidence.maximumScroll), .flag(evidence.reachedEnd),
            .time(evidence.acknowledgedAt), .text(evidence.version), .flag(verdict.isEarlierVersion), .flag(evidence.automated),
            .integer(reader.views), .time(reader.firstView), .time(reader.lastView),
        ]
    }

    /// A reading request's status, or `nil` when there is no request with that id.
    /// - Parameters:
    ///   - storage: The store.
    ///   - id: The request's id.
    ///   - order: The order of the readers (the page's, furthest behind first, by default).
    ///   - descending: `true` for the reverse order.
    public static func request(
        _ storage: any ClickStorage,
        id: Int64,
        order: RequestOrder = .status,
        descending: Bool = false
    ) async throws -> ReportSheet? {
        guard let request = try await storage.readingRequest(id: id) else { return nil }
        return self.request(try await RequestReport.make(request, storage: storage), order: order, descending: descending)
    }

    /// A reading request's status: one row per expected reader and document, from the same
    /// grid cells as the page; the counts before the rows. `status` is the stage at the deadline
    /// once it has passed (`status_at` says which), `status_now` the stage now.
    static func request(_ report: RequestReport, order: RequestOrder = .status, descending: Bool = false) -> ReportSheet {
        let grid = report.grid
        let request = grid.request
        let counts = grid.counts
        let readers = grid.rows(by: order, descending: descending)
        return ReportSheet(
            kind: "request",
            about: [
                ("id", .integer(Int(request.id))), ("title", .text(request.title)), ("path", .text(request.path.value)),
                ("group", .text(request.group)), ("deadline", .time(request.deadline)), ("time_zone", .text(request.timeZone)),
                ("status_at", .text(grid.isPastDeadline ? "deadline" : "now")), ("frozen_at", .time(request.frozenAt)),
                ("expected", .integer(counts.expected)), ("documents", .integer(grid.columns.count)), ("read", .integer(counts.read)),
                ("opened", .integer(counts.opened)), ("not_opened", .integer(counts.notOpened)), ("late", .integer(counts.late)),
            ],
            columns: [
                "user", "name", "email", "reader_status", "documents_read", "path", "title", "status", "status_now", "reached_at", "first_view",
                "last_view", "views", "active_seconds", "acknowledged_at",
            ],
            terminalColumns: ["user", "name", "reader_status", "documents_read", "path", "status"]
        ) { offset, limit, _, _ in
            // Rows are readers × documents: the readers that the rows asked for span, with all their cells.
            let width = grid.columns.count
            let total = readers.count * width
            let end = min(total, offset + limit)
            guard width > 0, offset < end else { return .init(rows: [], total: total) }
            let members = readers[(offset / width)..<((end - 1) / width + 1)].map(\.person.member)
            let cells = try await report.cells(of: members, columns: 0..<width)
            var rows: [[ReportCell]] = []
            for index in offset..<end {
                let row = readers[index / width]
                let column = grid.columns[index % width]
                guard let cell = cells[row.person.member]?[index % width] else { continue }
                let evidence = cell.evidence
                rows.append([
                    .text(row.person.member), .text(row.person.displayName), .text(row.person.email), .text(row.progress.stage.rawValue),
                    .integer(row.progress.documentsRead), .text(column.path), .text(column.document?.title), .text(cell.stage.rawValue),
                    .text(cell.now.rawValue), .time(cell.reachedAt), .time(cell.openedAt), .time(evidence?.lastView),
                    .integer(evidence?.views ?? 0), .integer((evidence?.versions.map(\.activeMilliseconds).max() ?? 0) / 1000),
                    .time(evidence?.versions.compactMap(\.acknowledgedAt).min()),
                ])
            }
            return .init(rows: rows, total: total)
        }
    }

    /// The audit log, newest first: who looked at which report, when.
    public static func audit(_ storage: any ClickStorage) -> ReportSheet {
        ReportSheet(kind: "audit", about: [], columns: ["at", "actor", "action", "subject"]) { offset, limit, _, _ in
            let page = try await storage.auditLog(limit: limit, offset: offset)
            let rows = page.entries.map { entry -> [ReportCell] in [.time(entry.at), .text(entry.actor), .text(entry.action), .text(entry.subject)] }
            return .init(rows: rows, total: page.total)
        }
    }

    /// A group's members with their names and emails (the CSV is the import format), or `nil`
    /// when there is no such group.
    public static func group(_ storage: any ClickStorage, name: String) async throws -> ReportSheet? {
        guard let members = try await storage.members(ofGroup: name) else { return nil }
        return ReportSheet(
            kind: "group",
            about: [("group", .text(name))],
            columns: ["user", "name", "email"],
            rows: members.map { [.text($0.member), .text($0.displayName), .text($0.email)] }
        )
    }
}
