import ClickTracker
import Foundation
import SQLiteNIO

extension SQLiteStore {
    public func readers(_ query: ReadersQuery) async throws -> ReadersPage {
        let (filter, binds) = Self.reportFilter(query, member: "r.member")
        let rows = try await sectionRows("reader_rows", query, table: "document_reader r", filter: filter, binds: binds)
        let (keyset, keyBinds) = Self.keyset(query, columns: Self.readerColumns)
        let index = rows > Self.smallReport && query.member == nil ? Self.readerIndexes[query.order] ?? "" : ""
        // In document order the documents are read in path order, each with its readers.
        let from =
            query.order == .document && !index.isEmpty
            ? "document d INDEXED BY document_path CROSS JOIN document_reader r INDEXED BY document_reader_document ON r.document_id = d.id"
            : "document_reader r \(index) \(index.isEmpty ? "" : "CROSS") JOIN document d ON d.id = r.document_id"
        let groups = try await reader.query(
            """
            SELECT r.member AS member, r.document_id AS document_id, d.path AS path, r.views AS views,
                   r.first_view AS first_view, r.last_view AS last_view
            FROM \(from)
            WHERE \(filter) AND \(keyset)
            ORDER BY \(query.sqlOrderBy)
            LIMIT ? OFFSET ?
            """,
            binds + keyBinds + [.integer(query.limit), .integer(query.after == nil ? query.offset : 0)]
        )
        let keys = groups.map { row in
            let data = row.columns.map(\.data)
            return ReaderKey(member: data.first?.string ?? "", documentID: data.count > 1 ? data[1].integer ?? 0 : 0)
        }
        let evidence = try await versionEvidence(for: keys)
        let readers = keys.compactMap { evidence[$0] }
        return ReadersPage(readers: readers, total: query.countsTotal ? rows : 0, next: groups.last.map { Self.key($0, query) })
    }

    /// The readers report's result columns as the `WHERE` clause names them, and the index per order.
    static let readerColumns = [
        "member": "r.member", "path": "d.path", "views": "r.views", "first_view": "r.first_view", "last_view": "r.last_view",
        "document_id": "r.document_id",
    ]
    static let readerIndexes: [ReadersOrder: String] = [
        .member: "INDEXED BY sqlite_autoindex_document_reader_1", .document: "INDEXED BY document_reader_document",
        .views: "INDEXED BY document_reader_views", .firstView: "INDEXED BY document_reader_first", .lastView: "INDEXED BY document_reader_last",
    ]

    /// A reading's evidence from a row that selects, from its third column on: `version, words,
    /// views, first_view, last_view, active_ms, max_scroll, reached_end, automated,
    /// acknowledged_at` and, when given, `read_at` at `readAt`.
    static func evidence(_ data: [SQLiteData], readAt: Int? = nil) -> ReaderSummary.VersionEvidence {
        let version = data[2].string ?? ""
        return ReaderSummary.VersionEvidence(
            version: version.isEmpty ? nil : version,
            words: data[3].integer,
            views: data[4].integer ?? 0,
            firstView: date(data[5]),
            lastView: date(data[6]),
            activeMilliseconds: data[7].integer ?? 0,
            maximumScroll: data[8].integer ?? 0,
            reachedEnd: (data[9].integer ?? 0) != 0,
            automated: (data[10].integer ?? 0) != 0,
            acknowledgedAt: optionalDate(data[11]),
            readAt: readAt.flatMap { optionalDate(data[$0]) }
        )
    }

    /// A person and a document.
    struct ReaderKey: Hashable {
        var member: String
        var documentID: Int
    }

    /// The reading rows of the given people and documents, folded into summaries.
    private func versionEvidence(for keys: [ReaderKey]) async throws -> [ReaderKey: ReaderSummary] {
        guard !keys.isEmpty else { return [:] }
        // Each key is looked up on the primary key (CROSS JOIN keeps that order), a few hundred per statement.
        var rows: [SQLiteRow] = []
        for chunk in keys.chunks(of: Self.rowsPerStatement) {
            rows += try await reader.query(
                """
                SELECT r.member AS member, r.document_id AS document_id, r.version AS version, r.words AS words, r.views AS views,
                       r.first_view AS first_view, r.last_view AS last_view, r.active_ms AS active_ms, r.max_scroll AS max_scroll,
                       r.reached_end AS reached_end, r.automated AS automated, r.acknowledged_at AS acknowledged_at,
                       d.key AS key, d.path AS path, d.title AS title, d.version AS current_version
                FROM (SELECT column1 AS member, column2 AS document_id FROM (VALUES \(Self.placeholders(rows: chunk.count, columns: 2)))) AS k
                CROSS JOIN reading r ON r.member = k.member AND r.document_id = k.document_id
                CROSS JOIN document d ON d.id = r.document_id
                """,
                chunk.flatMap { [SQLiteData.text($0.member), .integer($0.documentID)] }
            )
        }
        let wanted = Set(keys)
        var documentsByKey: [ReaderKey: (DocumentReference, String?)] = [:]
        var versions: [ReaderKey: [ReaderSummary.VersionEvidence]] = [:]
        for row in rows {
            // By position: sixteen columns, in the order selected (a lookup by name compares names).
            let data = row.columns.map(\.data)
            guard data.count == 16 else { continue }
            let key = ReaderKey(member: data[0].string ?? "", documentID: data[1].integer ?? 0)
            guard wanted.contains(key) else { continue }
            if documentsByKey[key] == nil {
                documentsByKey[key] = (DocumentReference(key: data[12].string, path: data[13].string ?? "", title: data[14].string), data[15].string)
            }
            versions[key, default: []].append(Self.evidence(data))
        }
        var summaries: [ReaderKey: ReaderSummary] = [:]
        for (key, evidence) in versions {
            guard let (document, current) = documentsByKey[key] else { continue }
            summaries[key] = ReaderSummary(member: key.member, document: document, currentVersion: current, versions: evidence)
        }
        return summaries
    }
}
