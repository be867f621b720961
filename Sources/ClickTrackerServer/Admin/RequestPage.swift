import ClickTracker
import Foundation

/// The template values of a reading request's page: the counts, the chart and one page of the
/// grid, all read from the same ``RequestGrid``.
struct RequestPage {
    /// The readers and documents one page shows.
    struct Window {
        /// The page of readers and the page of documents shown (1-based), and how many there are.
        let readerPage: Int
        let readerPages: Int
        let documentPage: Int
        let documentPages: Int
        /// The grid's rows and columns shown.
        let rows: Range<Int>
        let columns: Range<Int>

        /// The window of the pages asked for (the last one when beyond it).
        init(rows rowCount: Int, columns columnCount: Int, page: (readers: Int, documents: Int)) {
            let readers = RequestsController.readersPerPage
            let documents = RequestsController.documentsPerPage
            readerPages = max(1, (rowCount + readers - 1) / readers)
            documentPages = max(1, (columnCount + documents - 1) / documents)
            (readerPage, documentPage) = (min(page.readers, readerPages), min(page.documents, documentPages))
            rows = min(rowCount, (readerPage - 1) * readers)..<min(rowCount, readerPage * readers)
            columns = min(columnCount, (documentPage - 1) * documents)..<min(columnCount, documentPage * documents)
        }
    }

    let report: RequestReport
    /// The readers listed, in order (all of the grid's, or those the selection picks).
    let rows: [RequestGrid.Row]
    let selection: GridSelection
    let window: Window
    /// The cells of the window's rows and columns, per member.
    let cells: [String: [RequestGrid.Cell]]
    let prefix: String
    let now = Date()
    /// "1 Dec 09:14" in the request's time zone.
    private let formatter: ShortDate

    init(
        report: RequestReport,
        rows: [RequestGrid.Row],
        selection: GridSelection,
        window: Window,
        cells: [String: [RequestGrid.Cell]],
        prefix: String
    ) {
        self.report = report
        self.rows = rows
        self.selection = selection
        self.window = window
        self.cells = cells
        self.prefix = prefix
        formatter = ShortDate(timeZone: TimeZone(identifier: report.request.timeZone) ?? .gmt)
    }

    func values() -> [String: Any] {
        let grid = report.grid
        let request = grid.request
        let counts = grid.counts
        let span = max(1, request.deadline.timeIntervalSince(request.createdAt))
        let elapsed = min(max(0, now.timeIntervalSince(request.createdAt)), span)
        let passed = grid.isPastDeadline
        let base = "\(prefix)/requests/\(request.id)"
        let documentCount = RequestsController.plural(grid.columns.count, "document")
        let all = grid.columns.count == 1 ? "it" : "all \(documentCount)"
        var values: [String: Any] = [
            "id": request.id,
            "title": request.title,
            "path": request.path.value,
            "trackingURL": "\(prefix)/tracking?path=\(SiteController.queryValue(request.path.value))",
            "group": request.group ?? "",
            "deadline": RequestsController.format(request.deadline, timeZone: request.timeZone),
            "passed": passed,
            "percent": Int(elapsed / span * 100),
            "summary": passed
                ? "\(counts.read) of \(counts.expected) had read \(all) by the deadline"
                : "\(counts.read) of \(counts.expected) have read \(all)",
            "opened": passed ? "\(counts.opened) had opened some but not read \(all)" : "\(counts.opened) have opened some but not read \(all)",
            "notOpened": passed ? "\(counts.notOpened) had opened none" : "\(counts.notOpened) have opened none",
            "stageWhen": passed ? "at the deadline (and, after the arrow, since)" : "now",
            "csvURL": "\(base)?format=csv",
            "jsonURL": "\(base)?format=json",
            // The documents of the grid's page of documents (all of them, up to 20).
            "documents": grid.columns[window.columns].map { column -> [String: Any] in
                ["label": column.document?.title ?? column.path, "path": column.path, "seen": column.document != nil]
            },
        ]
        if passed { values["late"] = "\(counts.late) read \(all) after the deadline" }
        if let frozen = request.frozenAt { values["frozen"] = short(frozen) }
        if let completed = request.completedAt { values["completed"] = short(completed) }
        if !report.untrackedDocuments.isEmpty { values["untracked"] = report.untrackedDocuments.joined(separator: ", ") }
        values["chart"] = chart(grid)
        values.merge(gridValues(grid, base: base)) { _, new in new }
        return values
    }

    /// One page of readers × one page of documents, and the pager.
    private func gridValues(_ grid: RequestGrid, base: String) -> [String: Any] {
        let (readerPage, documentPage) = (window.readerPage, window.documentPage)
        let columns = Array(grid.columns[window.columns])
        var values: [String: Any] = [
            "columns": columns.map { column -> [String: Any] in
                let url = (try? SectionPath(column.path)).map(\.urlEncoded) ?? ""
                return ["label": column.label, "path": column.path, "url": url]
            },
            "gridRows": gridRows(grid, columns: columns),
            "hasRows": !rows.isEmpty,
            "hasReaders": !grid.rows.isEmpty,
            "filters": selection.filters(grid, base: base),
            "readerColumn": selection.column(.name, label: "Reader", base: base),
            "stageSort": selection.column(.status, label: grid.isPastDeadline ? "At the deadline" : "Now", base: base),
            "readSort": selection.column(.read, label: "Read", base: base),
            "readerRange": rows.isEmpty
                ? ""
                : "Readers \(window.rows.lowerBound + 1)–\(window.rows.upperBound) of \(rows.count)",
        ]
        func link(_ readerPage: Int, _ documentPage: Int) -> String {
            "\(base)?\(selection.query)&page=\(readerPage)&documents=\(documentPage)#readers"
        }
        if readerPage > 1 { values["previousReaders"] = link(readerPage - 1, documentPage) }
        if readerPage < window.readerPages { values["nextReaders"] = link(readerPage + 1, documentPage) }
        if window.documentPages > 1 {
            values["documentRange"] = "documents \(window.columns.lowerBound + 1)–\(window.columns.upperBound) of \(grid.columns.count)"
        }
        if documentPage > 1 { values["previousDocuments"] = link(readerPage, documentPage - 1) }
        if documentPage < window.documentPages { values["nextDocuments"] = link(readerPage, documentPage + 1) }
        return values
    }

    /// The rows of the page's readers, written directly as HTML (a page holds a thousand cells):
    /// each reader, their stage, "2 of 3", since the deadline, and a cell per document shown.
    private func gridRows(_ grid: RequestGrid, columns: [RequestGrid.Column]) -> String {
        var html = ""
        html.reserveCapacity(window.rows.count * (200 + columns.count * 250))
        for row in rows[window.rows] {
            let progress = row.progress
            html += "<tr><th scope=\"row\" class=\"member\">"
            if let name = row.person.displayName {
                html += HTML.escape(name) + " <span class=\"muted\">" + HTML.escape(row.person.member) + "</span>"
            } else {
                html += HTML.escape(row.person.member)
            }
            html += "</th><td class=\"stage\"><span class=\"badge \(Self.cssClass(progress.stage))\">\(progress.stage.rawValue)</span></td>"
            html += "<td class=\"documents\">\(progress.documentsRead) of \(grid.columns.count)</td>"
            if grid.isPastDeadline {
                let since =
                    progress.isLate
                    ? "read all \(progress.completedAt.map { short($0) } ?? "")"
                    : progress.now > progress.stage ? "now \(progress.now.rawValue)" : ""
                html += "<td class=\"late\">\(since)</td>"
            }
            for (column, cell) in zip(columns, cells[row.person.member] ?? []) {
                html += "<td class=\"cell \(Self.cssClass(cell.stage))\" tabindex=\"0\">\(cell.stage.rawValue)"
                if cell.isLate { html += " → \(cell.now.rawValue)" }
                html += "<span class=\"evidence\">" + HTML.escape(evidence(cell, column: column)) + "</span></td>"
            }
            html += "</tr>"
        }
        return html
    }

    /// A cell's evidence in words: the stage and when, what came after the deadline, the views,
    /// active time against the time needed, scroll, confirmation, version and last view.
    private func evidence(_ cell: RequestGrid.Cell, column: RequestGrid.Column) -> String {
        var evidence = "\(column.label): \(cell.stage.rawValue)"
        if let reached = cell.reachedAt, cell.stage > .notOpened { evidence += " on \(short(reached))" }
        if cell.isLate { evidence += "; then \(cell.now.rawValue)\(cell.nowReachedAt.map { " on \(short($0))" } ?? "")" }
        if let summary = cell.evidence {
            let verdict = summary.verdict(column.policy)
            evidence += "; " + RequestsController.plural(summary.views, "view")
            evidence +=
                "; active \(TrackingController.duration(verdict.evidence.activeMilliseconds)) of \(TrackingController.duration(verdict.requiredMilliseconds)) needed"
            evidence += "; scrolled \(verdict.evidence.maximumScroll)%\(verdict.evidence.reachedEnd ? ", end reached" : "")"
            if let acknowledged = verdict.evidence.acknowledgedAt { evidence += "; acknowledged \(short(acknowledged))" }
            if verdict.isEarlierVersion { evidence += "; an earlier version" }
            if let last = summary.lastView { evidence += "; last view \(short(last))" }
        }
        return evidence
    }

    /// Two lines from the rows: who had opened any of the documents, and who had read them all.
    private func chart(_ grid: RequestGrid) -> [String: Any] {
        let request = grid.request
        let opened = grid.rows.compactMap { $0.progress.now >= .opened ? $0.progress.openedAt : nil }
        let completed = grid.rows.compactMap(\.progress.completedAt)
        let when = grid.isPastDeadline ? "by the deadline" : "by now"
        let counts = grid.counts
        let all = grid.columns.count == 1 ? "it" : "all \(grid.columns.count) documents"
        return ReadsChart.values(
            lines: [ReadsChart.Line(label: "opened any", dates: opened), ReadsChart.Line(label: "read \(all)", dates: completed)],
            total: counts.expected,
            from: request.createdAt,
            deadline: request.deadline,
            now: now,
            timeZone: request.timeZone,
            caption: "Expected readers over time: who had opened any of the documents, and who had read \(all).",
            description:
                "\(counts.read + counts.opened) of \(counts.expected) expected readers had opened any and \(counts.read) had read \(all) \(when)"
                + (grid.isPastDeadline ? "; \(counts.late) read \(all) after it." : "; the dashed line is the deadline.")
        )
    }

    /// The stage as a CSS class: `not-opened`, `opened`, `read`, `acknowledged`.
    static func cssClass(_ stage: ReadingStage) -> String {
        switch stage {
        case .notOpened: "not-opened"
        case .opened: "opened"
        case .read: "read"
        case .acknowledged: "acknowledged"
        }
    }

    private func short(_ date: Date) -> String {
        formatter.string(date)
    }
}
