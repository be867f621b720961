import ClickTracker
import Foundation
import PostgresNIO

extension PostgresStore {
    public func readers(_ query: ReadersQuery) async throws -> ReadersPage {
        try await run(.report) { try await self.readReaders(query) }
    }

    private func readReaders(_ query: ReadersQuery) async throws -> ReadersPage {
        let total = query.countsTotal ? try await sectionRows("reader_rows", query, table: "document_reader r", member: "r.member") : 0
        var sql = """
            SELECT r.member AS member, r.document_id AS document_id, d.path AS path, r.views AS views,
                   r.first_view AS first_view, r.last_view AS last_view
            FROM document_reader r JOIN document d ON d.id = r.document_id
            WHERE 
            """
        var bindings = PostgresBindings()
        Self.appendFilter(query, member: "r.member", to: &sql, &bindings)
        Self.appendKeyset(query, columns: Self.readerColumns, to: &sql, &bindings)
        sql += " ORDER BY \(query.sqlOrderBy) LIMIT \(query.limit) OFFSET \(query.after == nil ? query.offset : 0)"
        let groups = try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        var keys: [(member: String, documentID: Int64)] = []
        var next: [ReportKey]?
        for try await (member, documentID, path, views, first, last) in groups.decode((String, Int64, String, Int, Date, Date).self) {
            keys.append((member, documentID))
            let sorted: ReportKey =
                switch query.order {
                case .member: .text(member)
                case .document: .text(path)
                case .views: .integer(views)
                case .firstView: .time(first)
                case .lastView: .time(last)
                }
            next = [sorted, .text(member), .text(path), .integer(Int(documentID))]
        }
        guard !keys.isEmpty else { return ReadersPage(readers: [], total: total, next: nil) }
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.readingColumns), d.key, d.path, d.title, d.version
            FROM reading r JOIN document d ON d.id = r.document_id
            JOIN unnest(\(keys.map(\.member)), \(keys.map(\.documentID))) AS k (member, document_id)
              ON k.member = r.member AND k.document_id = r.document_id
            """,
            logger: logger
        )
        var documents: [String: (DocumentReference, String?)] = [:]
        var versions: [String: [ReaderSummary.VersionEvidence]] = [:]
        for try await row in rows {
            let (member, documentID, evidence) = try Self.reading(row)
            let columns = row.makeRandomAccess()
            let key = "\(documentID) \(member)"
            documents[key] = (
                DocumentReference(
                    key: try columns[13].decode(String.self),
                    path: try columns[14].decode(String.self),
                    title: try columns[15].decode(String?.self)
                ),
                try columns[16].decode(String?.self)
            )
            versions[key, default: []].append(evidence)
        }
        let readers = keys.compactMap { member, documentID -> ReaderSummary? in
            let key = "\(documentID) \(member)"
            guard let (document, current) = documents[key], let evidence = versions[key] else { return nil }
            return ReaderSummary(member: member, document: document, currentVersion: current, versions: evidence)
        }
        return ReadersPage(readers: readers, total: total, next: next)
    }

    /// The columns of a `reading r` row that ``reading(_:)`` decodes, first in a `SELECT`.
    static let readingColumns = """
        r.member, r.document_id, r.version, r.words, r.views, r.first_view, r.last_view, r.active_ms, r.max_scroll,
        r.reached_end, r.automated, r.acknowledged_at, r.read_at
        """

    /// A reading row selected with ``readingColumns`` first: its member, document and evidence.
    static func reading(_ row: PostgresRow) throws -> (member: String, documentID: Int64, evidence: ReaderSummary.VersionEvidence) {
        let (member, documentID, version, words, views, first, last, active) = try row.decode(
            (String, Int64, String, Int?, Int, Date, Date, Int).self
        )
        let columns = row.makeRandomAccess()
        let evidence = ReaderSummary.VersionEvidence(
            version: version.isEmpty ? nil : version,
            words: words,
            views: views,
            firstView: first,
            lastView: last,
            activeMilliseconds: active,
            maximumScroll: try columns[8].decode(Int.self),
            reachedEnd: try columns[9].decode(Bool.self),
            automated: try columns[10].decode(Bool.self),
            acknowledgedAt: try columns[11].decode(Date?.self),
            readAt: try columns[12].decode(Date?.self)
        )
        return (member, documentID, evidence)
    }

    /// The readers report's key columns as the `WHERE` clause names them.
    static let readerColumns = [
        "member": "r.member", "path": "d.path", "views": "r.views", "first_view": "r.first_view", "last_view": "r.last_view",
        "document_id": "r.document_id",
    ]
}
