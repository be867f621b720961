import ClickTracker
import Foundation

/// The webhook messages about a reading request: its deadline passed (with every expected
/// reader's status frozen then) and everyone has read everything.
enum RequestMessages {
    /// `request.deadline_passed`: the request, its documents, the counts, and each expected
    /// reader's stage overall and with each document at the deadline.
    static func deadlinePassed(
        _ request: ReadingRequest,
        columns: [RequestGrid.Column],
        people: [String: Person],
        cells: [String: [RequestGrid.Cell]],
        at time: Date
    ) throws -> WebhookMessage {
        var readers: [[String: Any]] = []
        var counts = (read: 0, opened: 0, notOpened: 0)
        for member in people.keys.sorted() {
            let memberCells = cells[member] ?? []
            let progress = ReaderProgress(cells: memberCells)
            switch progress.stage {
            case .read, .acknowledged: counts.read += 1
            case .opened: counts.opened += 1
            case .notOpened: counts.notOpened += 1
            }
            var reader = person(people[member] ?? Person(member: member))
            reader["stage"] = progress.stage.rawValue
            reader["documents_read"] = progress.documentsRead
            reader["documents"] = zip(columns, memberCells).map { column, cell -> [String: Any] in
                var document: [String: Any] = ["path": column.path, "stage": cell.stage.rawValue]
                if let reached = cell.reachedAt, cell.stage > .notOpened { document["reached_at"] = WebhookMessage.iso8601(reached) }
                return document
            }
            readers.append(reader)
        }
        let data: [String: Any] = [
            "request": requestData(request),
            "documents": documents(columns),
            "counts": ["expected": people.count, "read": counts.read, "opened": counts.opened, "not_opened": counts.notOpened],
            "readers": readers,
        ]
        return try WebhookMessage(type: .requestDeadlinePassed, data: data, timestamp: time)
    }

    /// `request.completed`: the request, its documents, and when each expected reader finished.
    static func completed(_ grid: RequestGrid, at time: Date) throws -> WebhookMessage {
        let readers = grid.rows.sorted { $0.person.member < $1.person.member }.map { row -> [String: Any] in
            var reader = person(row.person)
            if let completed = row.progress.completedAt { reader["completed_at"] = WebhookMessage.iso8601(completed) }
            return reader
        }
        let data: [String: Any] = [
            "request": requestData(grid.request),
            "documents": documents(grid.columns),
            "completed_at": WebhookMessage.iso8601(time),
            "by_deadline": time <= grid.request.deadline,
            "readers": readers,
        ]
        return try WebhookMessage(type: .requestCompleted, data: data, timestamp: time)
    }

    private static func requestData(_ request: ReadingRequest) -> [String: Any] {
        var data: [String: Any] = [
            "id": request.id, "title": request.title, "path": request.path.value,
            "deadline": WebhookMessage.iso8601(request.deadline), "time_zone": request.timeZone,
        ]
        if let group = request.group { data["group"] = group }
        return data
    }

    private static func documents(_ columns: [RequestGrid.Column]) -> [[String: Any]] {
        columns.map { column in
            var document: [String: Any] = ["path": column.path]
            if let title = column.document?.title { document["title"] = title }
            return document
        }
    }

    private static func person(_ person: Person) -> [String: Any] {
        var reader: [String: Any] = ["member": person.member]
        if let name = person.displayName { reader["name"] = name }
        return reader
    }
}
