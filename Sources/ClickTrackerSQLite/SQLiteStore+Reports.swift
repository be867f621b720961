import ClickTracker
import Foundation
import SQLiteNIO

extension SQLiteStore {
    /// Applies reports and acknowledgements in order, inside the batch's transaction: each
    /// render's progress is read once and advanced by ``RenderProgress/apply(_:final:receivedAt:)``;
    /// the time a render gains is credited to the reader's summary only up to the time since the
    /// summary was last credited, so renders open side by side never add up to more than the
    /// time that passed. Returns the outcomes and the reading rows credited, each with the time
    /// of its last event.
    static func applyReports(
        _ events: [ViewEvent],
        on connection: SQLiteWriteConnection
    ) throws -> (outcomes: [RecordOutcome], credited: [ReadingKey: Int], evidence: [EvidenceRow]) {
        var renders = try progress(of: Set(events.map(\.renderID)), on: connection)
        var readings = try readings(of: Set(renders.values.map(\.reading)), on: connection)
        var changedRenders: Set<String> = []
        var evidence: [EvidenceRow] = []
        var outcomes: [RecordOutcome] = []
        for event in events {
            guard var render = renders[event.renderID], var reading = readings[render.reading] else {
                outcomes.append(.unknownRender)
                continue
            }
            if event.kind == .acknowledgement {
                let rows = try connection.query(
                    """
                    UPDATE reading SET acknowledged_at = ?, acknowledged_render = ?
                    WHERE member = ? AND document_id = ? AND version = ? AND acknowledged_at IS NULL
                    RETURNING \(acknowledgementEvidenceColumns)
                    """,
                    [.integer(milliseconds(event.viewedAt)), .text(event.renderID)] + render.reading.bindings
                )
                outcomes.append(rows.isEmpty ? .unchanged : .recorded)
                evidence += rows.map(acknowledgementEvidence)
                continue
            }
            let (outcome, added) = render.progress.apply(event.attention ?? .none, final: event.kind == .end, receivedAt: event.viewedAt)
            outcomes.append(outcome)
            guard outcome == .recorded else { continue }
            reading.credit(added, at: event.viewedAt, from: render.progress)
            renders[event.renderID] = render
            readings[render.reading] = reading
            changedRenders.insert(event.renderID)
        }
        for renderID in changedRenders.sorted() {
            guard let progress = renders[renderID]?.progress else { continue }
            evidence += try connection.query(
                """
                UPDATE view SET active_ms = ?, max_scroll = ?, reached_end = ?, automated = ?, report_seq = ?, reported_at = ?, finished = ?
                WHERE render_id = ?
                RETURNING \(viewEvidenceColumns)
                """,
                [
                    .integer(progress.activeMilliseconds), .integer(progress.maximumScroll), .integer(progress.reachedEnd ? 1 : 0),
                    .integer(progress.automated ? 1 : 0), .integer(progress.sequence), .integer(milliseconds(progress.reportedAt)),
                    .integer(progress.finished ? 1 : 0), .text(renderID),
                ]
            ).map(viewEvidence)
        }
        for (key, reading) in readings where reading.changed {
            _ = try connection.query(
                """
                UPDATE reading SET active_ms = active_ms + ?, max_scroll = max(max_scroll, ?), reached_end = reached_end OR ?,
                                   automated = automated OR ?, credited_at = ?
                WHERE member = ? AND document_id = ? AND version = ?
                """,
                [
                    .integer(reading.added), .integer(reading.maximumScroll), .integer(reading.reachedEnd ? 1 : 0),
                    .integer(reading.automated ? 1 : 0), .integer(milliseconds(reading.creditedAt)),
                ] + key.bindings
            )
        }
        let credited = readings.compactMap { key, reading in reading.changed ? (key, milliseconds(reading.lastEventAt)) : nil }
        return (outcomes, Dictionary(credited, uniquingKeysWith: max), evidence)
    }

    /// The reading row (member, document, version) a render adds to.
    struct ReadingKey: Hashable {
        var member: String
        var documentID: Int
        var version: String

        var bindings: [SQLiteData] { [.text(member), .integer(documentID), .text(version)] }
    }

    /// A recorded render's progress and the reading row it adds to.
    struct Render {
        var progress: RenderProgress
        var reading: ReadingKey
    }

    /// What a batch adds to one reading row.
    struct ReadingCredit {
        /// Up to when active time has been credited.
        var creditedAt: Date
        var added = 0
        var maximumScroll = 0
        var reachedEnd = false
        var automated = false
        var changed = false
        /// The time of the last event credited.
        var lastEventAt = Date.distantPast

        /// Credits a render's `added` milliseconds, received at `time`, no more than the time since the last credit.
        mutating func credit(_ milliseconds: Int, at time: Date, from progress: RenderProgress) {
            let credited = min(milliseconds, max(0, Int((time.timeIntervalSince(creditedAt) * 1000).rounded(.down))))
            if credited > 0 {
                added += credited
                creditedAt = max(creditedAt, time)
            }
            maximumScroll = max(maximumScroll, progress.maximumScroll)
            reachedEnd = reachedEnd || progress.reachedEnd
            automated = automated || progress.automated
            changed = true
            lastEventAt = max(lastEventAt, time)
        }
    }

    private static func progress(of renderIDs: Set<String>, on connection: SQLiteWriteConnection) throws -> [String: Render] {
        var renders: [String: Render] = [:]
        for chunk in Array(renderIDs).chunks(of: rowsPerStatement) {
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            let rows = try connection.query(
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
                let key = ReadingKey(
                    member: row.column("member")?.string ?? "",
                    documentID: integer("document_id"),
                    version: row.column("version")?.string ?? ""
                )
                renders[renderID] = Render(progress: progress, reading: key)
            }
        }
        return renders
    }

    private static func readings(of keys: Set<ReadingKey>, on connection: SQLiteWriteConnection) throws -> [ReadingKey: ReadingCredit] {
        var readings: [ReadingKey: ReadingCredit] = [:]
        for key in keys {
            let rows = try connection.query(
                "SELECT credited_at FROM reading WHERE member = ? AND document_id = ? AND version = ?",
                key.bindings
            )
            if let row = rows.first { readings[key] = ReadingCredit(creditedAt: date(row.column("credited_at"))) }
        }
        return readings
    }
}
