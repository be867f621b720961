import ClickTracker
import Foundation
import SQLiteNIO

extension SQLiteStore {
    /// Applies reports and acknowledgements in order, inside the batch's transaction: each
    /// render's progress is read once, advanced by ``RenderProgress/apply(_:final:receivedAt:)``,
    /// and written back with the active time it added to the reading summary.
    static func applyReports(_ events: [ViewEvent], on connection: SQLiteConnection) async throws -> [RecordOutcome] {
        var renders = try await progress(of: Set(events.map(\.renderID)), on: connection)
        var changed: Set<String> = []
        var outcomes: [RecordOutcome] = []
        for event in events {
            guard var render = renders[event.renderID] else {
                outcomes.append(.unknownRender)
                continue
            }
            if event.kind == .acknowledgement {
                let rows = try await connection.query(
                    """
                    UPDATE reading SET acknowledged_at = ?, acknowledged_render = ?
                    WHERE member = ? AND document_id = ? AND version = ? AND acknowledged_at IS NULL
                    RETURNING 1 AS updated
                    """,
                    [.integer(milliseconds(event.viewedAt)), .text(event.renderID)] + render.readingKey
                )
                outcomes.append(rows.isEmpty ? .unchanged : .recorded)
                continue
            }
            let (outcome, added) = render.progress.apply(event.attention ?? .none, final: event.kind == .end, receivedAt: event.viewedAt)
            outcomes.append(outcome)
            guard outcome == .recorded else { continue }
            render.addedMilliseconds += added
            renders[event.renderID] = render
            changed.insert(event.renderID)
        }
        for renderID in changed.sorted() {
            guard let render = renders[renderID] else { continue }
            let progress = render.progress
            _ = try await connection.query(
                """
                UPDATE view SET active_ms = ?, max_scroll = ?, reached_end = ?, automated = ?, report_seq = ?, reported_at = ?, finished = ?
                WHERE render_id = ?
                """,
                [
                    .integer(progress.activeMilliseconds), .integer(progress.maximumScroll), .integer(progress.reachedEnd ? 1 : 0),
                    .integer(progress.automated ? 1 : 0), .integer(progress.sequence), .integer(milliseconds(progress.reportedAt)),
                    .integer(progress.finished ? 1 : 0), .text(renderID),
                ]
            )
            _ = try await connection.query(
                """
                UPDATE reading SET active_ms = active_ms + ?, max_scroll = max(max_scroll, ?), reached_end = reached_end OR ?,
                                   automated = automated OR ?
                WHERE member = ? AND document_id = ? AND version = ?
                """,
                [
                    .integer(render.addedMilliseconds), .integer(progress.maximumScroll), .integer(progress.reachedEnd ? 1 : 0),
                    .integer(progress.automated ? 1 : 0),
                ] + render.readingKey
            )
        }
        return outcomes
    }

    /// A recorded render's progress and the reading row it adds to.
    struct Render {
        var progress: RenderProgress
        var readingKey: [SQLiteData]
        var addedMilliseconds = 0
    }

    private static func progress(of renderIDs: Set<String>, on connection: SQLiteConnection) async throws -> [String: Render] {
        var renders: [String: Render] = [:]
        for chunk in Array(renderIDs).chunks(of: rowsPerStatement) {
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            let rows = try await connection.query(
                """
                SELECT render_id, member, document_id, coalesce(version, '') AS version, issued_at, active_ms, max_scroll,
                       reached_end, automated, report_seq, reported_at, finished
                FROM view WHERE render_id IN (\(placeholders))
                """,
                chunk.map(SQLiteData.text)
            )
            for row in rows {
                guard let renderID = row.column("render_id")?.string else { continue }
                func integer(_ name: String) -> Int { row.column(name)?.integer ?? 0 }
                let progress = RenderProgress(
                    issuedAt: date(row.column("issued_at")),
                    activeMilliseconds: integer("active_ms"),
                    maximumScroll: integer("max_scroll"),
                    reachedEnd: integer("reached_end") != 0,
                    automated: integer("automated") != 0,
                    sequence: integer("report_seq"),
                    reportedAt: date(row.column("reported_at")),
                    finished: integer("finished") != 0
                )
                let key: [SQLiteData] = [
                    .text(row.column("member")?.string ?? ""), .integer(integer("document_id")), .text(row.column("version")?.string ?? ""),
                ]
                renders[renderID] = Render(progress: progress, readingKey: key)
            }
        }
        return renders
    }
}
