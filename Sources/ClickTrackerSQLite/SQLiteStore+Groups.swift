import ClickTracker
import Foundation
import SQLiteNIO

extension SQLiteStore {
    public func people(_ members: [String]) async throws -> [String: Person] {
        var people: [String: Person] = [:]
        for chunk in Array(Set(members)).chunks(of: Self.rowsPerStatement) {
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            let rows = try await reader.query(
                "SELECT member, display_name, email FROM person WHERE member IN (\(placeholders))",
                chunk.map(SQLiteData.text)
            )
            for row in rows { if let person = Self.person(row) { people[person.member] = person } }
        }
        return people
    }

    public func groups() async throws -> [MemberGroup] {
        let rows = try await reader.query(
            """
            SELECT g.name AS name, (SELECT count(*) FROM group_member m WHERE m.group_id = g.id) AS size
            FROM member_group g ORDER BY g.name
            """
        )
        return rows.map { MemberGroup(name: $0.column("name")?.string ?? "", size: $0.column("size")?.integer ?? 0) }
    }

    public func members(ofGroup name: String) async throws -> [Person]? {
        guard try await !reader.query("SELECT 1 FROM member_group WHERE name = ?", [.text(name)]).isEmpty else { return nil }
        let rows = try await reader.query(
            """
            SELECT m.member AS member, p.display_name AS display_name, p.email AS email
            FROM member_group g JOIN group_member m ON m.group_id = g.id LEFT JOIN person p ON p.member = m.member
            WHERE g.name = ? ORDER BY m.member
            """,
            [.text(name)]
        )
        return rows.compactMap(Self.person)
    }

    public func setGroup(_ name: String, members: [Person]) async throws {
        let now = SQLiteData.integer(Self.milliseconds(Date()))
        try await transaction { connection in
            for chunk in members.chunks(of: Self.rowsPerStatement) {
                _ = try connection.query(
                    """
                    INSERT INTO person (member, display_name, email, updated_at) VALUES \(Self.placeholders(rows: chunk.count, columns: 4))
                    ON CONFLICT (member) DO UPDATE SET
                        display_name = coalesce(excluded.display_name, person.display_name),
                        email = coalesce(excluded.email, person.email),
                        updated_at = excluded.updated_at
                    """,
                    chunk.flatMap { [.text($0.member), Self.optional($0.displayName), Self.optional($0.email), now] }
                )
            }
            _ = try connection.query(
                "INSERT INTO member_group (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                [.text(name), now]
            )
            let id = try connection.query("SELECT id FROM member_group WHERE name = ?", [.text(name)]).first?.column("id")?.integer ?? 0
            _ = try connection.query("DELETE FROM group_member WHERE group_id = ?", [.integer(id)])
            for chunk in members.chunks(of: Self.rowsPerStatement) {
                _ = try connection.query(
                    "INSERT INTO group_member (group_id, member) VALUES \(Self.placeholders(rows: chunk.count, columns: 2)) ON CONFLICT DO NOTHING",
                    chunk.flatMap { [.integer(id), .text($0.member)] }
                )
            }
            // Its requests' readers changed: their kept progress is summed up again.
            try Self.setProgressAside(group: name, on: connection)
        }
    }

    @discardableResult
    public func deleteGroup(_ name: String) async throws -> Bool {
        try await transaction { connection in
            let deleted = try !connection.query("DELETE FROM member_group WHERE name = ? RETURNING id", [.text(name)]).isEmpty
            try Self.setProgressAside(group: name, on: connection)
            return deleted
        }
    }

    @discardableResult
    public func purge(member: String) async throws -> Int {
        try await transaction { connection in
            let views = try connection.query("DELETE FROM view WHERE member = ? RETURNING id", [.text(member)]).compactMap {
                $0.column("id")?.integer
            }
            let acknowledged = try connection.query("DELETE FROM reading WHERE member = ? RETURNING acknowledged_render", [.text(member)])
                .compactMap { $0.column("acknowledged_render")?.string }
            try Self.appendRemoval(.purge, views: views, acknowledged: acknowledged, on: connection)
            _ = try connection.query("DELETE FROM request_receipt WHERE instr(members, ?) > 0", [.text("\n\(member)\n")])
            for table in ["click", "document_reader", "group_member", "request_member", "request_cell", "reminder_mail", "person"] {
                _ = try connection.query("DELETE FROM \(table) WHERE member = ?", [.text(member)])
            }
            _ = try connection.query(
                """
                DELETE FROM webhook_delivery
                WHERE json_extract(payload, '$.data.member') = ?
                    OR EXISTS (SELECT 1 FROM json_each(payload, '$.data.readers') r WHERE json_extract(r.value, '$.member') = ?)
                """,
                [.text(member), .text(member)]
            )
            try Self.setProgressAside(requestID: nil, on: connection)
            return views.count
        }
    }

    private static func person(_ row: SQLiteRow) -> Person? {
        guard let member = row.column("member")?.string else { return nil }
        return Person(member: member, displayName: row.column("display_name")?.string, email: row.column("email")?.string)
    }
}
