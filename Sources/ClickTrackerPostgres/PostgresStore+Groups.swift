import ClickTracker
import Foundation
import Logging
import PostgresNIO

extension PostgresStore {
    public func people(_ members: [String]) async throws -> [String: Person] {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                "SELECT member, display_name, email FROM person WHERE member = ANY(\(Array(Set(members))))",
                logger: logger
            )
            var people: [String: Person] = [:]
            for try await (member, name, email) in rows.decode((String, String?, String?).self) {
                people[member] = Person(member: member, displayName: name, email: email)
            }
            return people
        }
    }

    public func groups() async throws -> [MemberGroup] {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            let rows = try await client.query(
                """
                SELECT g.name, (SELECT count(*) FROM group_member m WHERE m.group_id = g.id)
                FROM member_group g ORDER BY g.name COLLATE "C"
                """,
                logger: logger
            )
            var groups: [MemberGroup] = []
            for try await (name, size) in rows.decode((String, Int).self) { groups.append(MemberGroup(name: name, size: size)) }
            return groups
        }
    }

    public func members(ofGroup name: String) async throws -> [Person]? {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            var exists = false
            for try await _ in try await client.query("SELECT 1 FROM member_group WHERE name = \(name)", logger: logger).decode(Int.self) {
                exists = true
            }
            guard exists else { return nil }
            let rows = try await client.query(
                """
                SELECT m.member, p.display_name, p.email
                FROM member_group g JOIN group_member m ON m.group_id = g.id LEFT JOIN person p ON p.member = m.member
                WHERE g.name = \(name) ORDER BY m.member COLLATE "C"
                """,
                logger: logger
            )
            var people: [Person] = []
            for try await (member, displayName, email) in rows.decode((String, String?, String?).self) {
                people.append(Person(member: member, displayName: displayName, email: email))
            }
            return people
        }
    }

    public func setGroup(_ name: String, members: [Person]) async throws {
        let (client, logger) = (client, logger)
        try await run(.report) {
            _ = try await client.query(
                """
                SELECT clicktracker_set_group(\(name), \(members.map(\.member)), \(members.map { $0.displayName ?? "" }),
                                              \(members.map { $0.email ?? "" }))
                """,
                logger: logger
            )
            try await Self.setProgressAside(group: name, client: client, logger: logger)
        }
    }

    /// Sets aside the progress kept for the requests of a group whose members changed: it is
    /// summed up again at their next report.
    private static func setProgressAside(group: String, client: PostgresClient, logger: Logger) async throws {
        try await client.query(
            """
            WITH aside AS (
                UPDATE reading_request SET progress_generation = progress_generation + 1, progress_as_of = NULL
                WHERE group_name = \(group) RETURNING id
            )
            DELETE FROM request_reader WHERE request_id IN (SELECT id FROM aside)
            """,
            logger: logger
        )
    }

    @discardableResult
    public func purge(member: String) async throws -> Int {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    WITH views AS (DELETE FROM view WHERE member = \(member) RETURNING id),
                         clicks AS (DELETE FROM click WHERE member = \(member) RETURNING document_id),
                         readings AS (DELETE FROM reading WHERE member = \(member) RETURNING acknowledged_render),
                         removal AS (\(unescaped: Self.removalEntry(.purge, views: "views", readings: "readings"))),
                         receipts AS (DELETE FROM request_receipt WHERE position(\("\n\(member)\n") IN members) > 0),
                         readers AS (DELETE FROM document_reader WHERE member = \(member) RETURNING document_id),
                         totals AS (\(unescaped: Self.lowerTotals)),
                         groups AS (DELETE FROM group_member WHERE member = \(member)),
                         requests AS (DELETE FROM request_member WHERE member = \(member)),
                         cells AS (DELETE FROM request_cell WHERE member = \(member)),
                         mails AS (DELETE FROM reminder_mail WHERE member = \(member)),
                         messages AS (
                             DELETE FROM webhook_delivery
                             WHERE payload::jsonb -> 'data' ->> 'member' = \(member)
                                 OR payload::jsonb -> 'data' -> 'readers' @> jsonb_build_array(jsonb_build_object('member', \(member)::text))
                         ),
                         people AS (DELETE FROM person WHERE member = \(member))
                    SELECT count(*) FROM views
                    """,
                    logger: logger
                )
                var count = 0
                for try await value in rows.decode(Int.self) { count = value }
                try await connection.query("SELECT clicktracker_set_progress_aside(NULL)", logger: logger)
                return count
            }
        }
    }

    @discardableResult
    public func deleteGroup(_ name: String) async throws -> Bool {
        let (client, logger) = (client, logger)
        return try await run(.report) {
            var deleted = false
            let rows = try await client.query("DELETE FROM member_group WHERE name = \(name) RETURNING id", logger: logger)
            for try await _ in rows.decode(Int64.self) { deleted = true }
            try await Self.setProgressAside(group: name, client: client, logger: logger)
            return deleted
        }
    }
}
