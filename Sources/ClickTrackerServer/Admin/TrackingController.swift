import ClickTracker
import ClickTrackerHummingbird
import Foundation
import Hummingbird

/// The admin pages: the tracking overview and the seed's Tracking page for one folder or
/// document (enable / disable tracking, the access log).
struct TrackingController: Sendable {
    static let pageSize = 20

    let tracker: ClickTracker
    let folder: SiteFolder?
    /// The documents known under a path, for the warning after tracking is enabled.
    let documents: RequestDocuments
    let admin: AdminGate
    let pages: PageRenderer

    var prefix: String { pages.collectorPath }

    func addRoutes(to router: Router<ServerRequestContext>) {
        router.get(RouterPath("\(prefix)/")) { request, context in
            try await admin.handle(request, context) { try await overview(context: context, notice: DoneNotice.text(request)) }
        }
        router.get(RouterPath("\(prefix)/tracking")) { request, context in
            try await admin.handle(request, context) { try await trackingPage(request, context: context) }
        }
        router.post(RouterPath("\(prefix)/tracking")) { request, context in
            try await admin.handle(request, context) { try await toggle(request, context: context) }
        }
    }

    private func trackingURL(_ path: String) -> String {
        "\(prefix)/tracking?path=\(SiteController.queryValue(path))"
    }

    func overview(context: ServerRequestContext, notice: String? = nil) async throws -> Response {
        let sections = try await tracker.storage.trackedSections()
        let rules = TrackingRules(sections: sections.map(\.path))
        let tree: [[String: Any]] = (folder?.tree() ?? []).map { item in
            let path = try? SectionPath(urlPath: item.entry.path)
            let section = path.flatMap(rules.trackingSection(for:))
            let state = section == nil ? "" : (section == path ? "tracked" : "tracked through \(section!.value)")
            return [
                "name": item.entry.name, "isFolder": item.entry.isFolder, "indent": item.depth * 2,
                "trackingURL": trackingURL(path?.value ?? "/"), "state": state,
            ]
        }
        let sectionValues = sections.map { ["path": $0.path.value, "trackingURL": trackingURL($0.path.value)] }
        let now = Date()
        var requests: [[String: Any]] = []
        for request in try await tracker.storage.readingRequests() where request.deadline > now {
            // Each reader's progress is kept by the store: this costs the readers, not their reads.
            let grid: RequestGrid
            do {
                grid = try await RequestReport.make(request, storage: tracker.storage, now: now).grid
            } catch is RequestReport.RequestGone {
                continue
            }
            let all = grid.columns.count == 1 ? "it" : "all \(RequestsController.plural(grid.columns.count, "document"))"
            requests.append([
                "title": request.title, "url": "\(prefix)/requests/\(request.id)", "path": request.path.value,
                "deadline": RequestsController.format(request.deadline, timeZone: request.timeZone),
                "progress": "\(grid.counts.read) of \(grid.counts.expected) have read \(all)",
                "left": RequestsController.timeLeft(until: request.deadline, now: now),
            ])
        }
        let stored = try await tracker.storage.ignoredPaths()
        let ignored =
            tracker.configuredIgnoredPaths.map { ["path": $0.value, "fromConfig": true] as [String: Any] }
            + stored.filter { !tracker.configuredIgnoredPaths.contains($0) }.map { ["path": $0.value, "fromConfig": false] as [String: Any] }
        var values: [String: Any] = ["sections": sectionValues, "requests": requests, "tree": tree, "hasSite": folder != nil, "ignored": ignored]
        if let notice { values["doneNotice"] = notice }
        return pages.page("overview", values, context: context)
    }

    func trackingPage(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        guard let path = parameters["path"].flatMap({ try? SectionPath(String($0)) }) else {
            return admin.badRequest("The path parameter must be an absolute path such as /papers.", context: context)
        }
        var notice: [String: Any] = [:]
        if let done = parameters["done"].flatMap({ DoneNotice(rawValue: String($0)) }) {
            notice["doneNotice"] = done.text
            if done == .trackingEnabled, try await documents.under(path).isEmpty {
                notice["doneWarning"] =
                    "Nothing is known under \(path.value) yet: the site has no page there and nobody has opened one. "
                    + "Check the path; reads are recorded once pages under it are opened."
            }
        }
        return try await trackingPage(path, request: request, context: context, values: notice)
    }

    /// The Tracking page of `path`; `values` add to (or replace) the page's, such as a refused
    /// form's error and what was typed.
    private func trackingPage(
        _ path: SectionPath,
        request: Request,
        context: ServerRequestContext,
        values extra: [String: Any],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let parameters = request.uri.queryParameters
        let policies = try await SectionPolicies.load(tracker.storage)
        let section = policies.section(for: path)
        var values: [String: Any] = ["path": path.value, "pathURL": path.urlEncoded]
        switch section?.path {
        case .none:
            values["untracked"] = true
            values["toggle"] = ["action": "enable", "label": "Enable tracking"]
        case .some(let marked) where marked == path:
            values["marked"] = true
            values["toggle"] = ["action": "disable", "label": "Disable tracking…"]
        case .some(let marked):
            values["inherited"] = true
            values["section"] = marked.value
            values["sectionURL"] = trackingURL(marked.value)
        }
        let stored = try await tracker.storage.ignoredPaths()
        if let configured = tracker.configuredIgnoredPaths.first(where: { $0.contains(path) }) {
            values["ignoredNote"] = "Never tracked: it is under \(configured.value), set in the configuration file (sections.ignore)."
        } else if let ignored = stored.first(where: { $0.contains(path) }) {
            values["ignoredNote"] = "Never tracked: it is under \(ignored.value), listed under “Never tracked” on the Tracking page."
        }
        if let section {
            let allColumns = parameters["readers-columns"] == "all"
            let page = trackingURL(path.value)
            let base = page + (allColumns ? "&readers-columns=all" : "")
            let readers = ReportTable<ReadersOrder>(parameters, prefix: "readers-", section: path, pageSize: Self.pageSize, base: base)
            let table = ReportTable<AccessLogOrder>(parameters, section: path, pageSize: Self.pageSize, base: base)
            if let format = try AdminGate.downloadFormat(request) {
                return try await download(
                    format,
                    report: parameters["report"].map(String.init),
                    readers: readers.query,
                    log: table.query,
                    context: context
                )
            }
            try await admin.audit(context, "tracking page", path.value)
            values["policy"] = Self.policyValues(section.policy, editable: section.path == path)
            values["readers"] = try await readersValues(readers, policies: policies).merging([
                "allColumns": allColumns, "allColumnsURL": "\(page)&readers-columns=all#readers", "fewerColumnsURL": "\(page)#readers",
            ]) { _, new in new }
            let log = try await tracker.storage.accessLog(table.query)
            values["tracked"] = true
            let people = try await tracker.storage.people(log.entries.map(\.member))
            values["rows"] = log.entries.map { Self.named(Self.row($0), people[$0.member]) }
            values["columns"] = table.columns([
                (.member, "Member"), (.url, "URL"), (.count, "Times accessed"), (.firstAccess, "First access"), (.lastAccess, "Last access"),
            ])
            values["downloads"] = table.downloads(report: "access-log")
            values.merge(table.pager(rows: log.entries.count, total: log.total)) { _, new in new }
            let openings = try await tracker.storage.openings(under: path)
            if let first = openings.first {
                let now = Date()
                let opened = openings.count { $0 <= now }
                values["chart"] = ReadsChart.values(
                    lines: [ReadsChart.Line(label: "opened it", dates: openings)],
                    total: openings.count,
                    from: first,
                    deadline: nil,
                    now: now,
                    timeZone: "UTC",
                    caption: "People who had opened it, over time.",
                    description: "\(opened) of \(openings.count) \(openings.count == 1 ? "person" : "people") had opened it by now."
                )
            }
        }
        values.merge(extra) { _, new in new }
        return pages.page("tracking", values, context: context, status: status)
    }

    /// The readers report or the access log as CSV or JSON, in the order the page shows it.
    private func download(
        _ format: ReportFormat,
        report: String?,
        readers: ReadersQuery,
        log: AccessLogQuery,
        context: ServerRequestContext
    ) async throws -> Response {
        let sheet: ReportSheet
        switch report {
        case "readers":
            sheet = try await Reports.readers(tracker.storage, readers)
        case "access-log", nil:
            sheet = Reports.accessLog(tracker.storage, log)
        default:
            return admin.badRequest("The report must be readers or access-log.", context: context)
        }
        try await admin.audit(context, "\(sheet.kind) \(format.rawValue)", log.section.value)
        return try await sheet.start().response(format, download: sheet.kind)
    }

    func toggle(_ request: Request, context: ServerRequestContext) async throws -> Response {
        guard let form = try await admin.verifiedForm(request, context) else { return admin.csrfRejected(context) }
        guard let path = form["path"].flatMap({ try? SectionPath($0) }), !path.isRoot else {
            return admin.badRequest("Choose a folder or document below the site root; the root itself cannot be tracked.", context: context)
        }
        if let collector = try? SectionPath(prefix), collector.contains(path) {
            return admin.badRequest("ClickTracker's own pages cannot be tracked.", context: context)
        }
        let done: DoneNotice
        switch form["action"] {
        case "enable":
            try await tracker.storage.setTracked(path, true)
            done = .trackingEnabled
        case "disable":
            guard form["confirmed"] == "yes" else {
                return admin.confirmation(
                    "Stop tracking \(path.value)?",
                    "Reads of its pages are no longer recorded, and reading requests for documents under it stop following readers. "
                        + "What was recorded is kept; tracking can be enabled again at any time.",
                    button: "Disable tracking",
                    action: "\(prefix)/tracking",
                    fields: [("action", "disable"), ("path", path.value)],
                    cancel: trackingURL(path.value),
                    context: context
                )
            }
            try await tracker.storage.setTracked(path, false)
            done = .trackingDisabled
        case "ignore":
            try await tracker.storage.setIgnored(path, true)
            return .redirect(to: DoneNotice.pathIgnored.url("\(prefix)/#ignored-paths"), type: .found)
        case "unignore":
            try await tracker.storage.setIgnored(path, false)
            return .redirect(to: DoneNotice.pathNoLongerIgnored.url("\(prefix)/#ignored-paths"), type: .found)
        case "policy":
            switch Self.policy(from: form) {
            case .success(let policy): try await tracker.storage.setPolicy(policy, for: path)
            case .failure(let error):
                // The form comes back with the error and the numbers as typed.
                var typed = Self.policyValues(.standard, editable: true)
                for field in ["words-per-minute", "maximum-seconds", "minimum-seconds"] { typed[field] = form[field] ?? "" }
                typed["requiresAcknowledgement"] = form["requires-acknowledgement"] == "yes"
                typed["requiresRereading"] = form["requires-rereading"] == "yes"
                typed["error"] = "Not saved: \(error.description)"
                return try await trackingPage(path, request: request, context: context, values: ["policy": typed], status: .badRequest)
            }
            done = .policySaved
        default: return admin.badRequest("The action must be enable, disable, ignore, unignore or policy.", context: context)
        }
        return .redirect(to: done.url(trackingURL(path.value)), type: .found)
    }

    /// The readers table: per person and document, the verdict and its evidence.
    private func readersValues(_ table: ReportTable<ReadersOrder>, policies: SectionPolicies) async throws -> [String: Any] {
        let page = try await tracker.storage.readers(table.query)
        let people = try await tracker.storage.people(page.readers.map(\.member))
        let columns = table.columns([
            (.member, "Member"), (.document, "Document"), (.views, "Views"), (.firstView, "First view"), (.lastView, "Last view"),
        ])
        var values: [String: Any] = [
            "rows": page.readers.map {
                Self.named(Self.readerRow($0, policy: policies.policy(forDocument: $0.document.path)), people[$0.member])
            },
            "downloads": table.downloads(report: "readers"),
            // Keyed, as the table puts other columns between the sortable ones.
            "columns": Dictionary(uniqueKeysWithValues: columns.map { ($0["key"] as? String ?? "", $0) }),
        ]
        values.merge(table.pager(rows: page.readers.count, total: page.total)) { _, new in new }
        return values
    }

    /// A row with the member's display name added, when known (the templates show it beside the id).
    static func named(_ row: [String: Any], _ person: Person?) -> [String: Any] {
        guard let name = person?.displayName else { return row }
        return row.merging(["name": name]) { _, new in new }
    }

    static func readerRow(_ reader: ReaderSummary, policy: ReadingPolicy) -> [String: Any] {
        let verdict = reader.verdict(policy)
        let evidence = verdict.evidence
        let path = try? SectionPath(reader.document.path)
        return [
            "member": reader.member,
            "url": path?.urlEncoded ?? "",
            "link": path != nil,
            "display": reader.document.title.map { "\($0) (\(reader.document.path))" } ?? reader.document.path,
            "verdict": verdict.label,
            "level": verdict.level.rawValue,
            "counts": verdict.counts ? "yes" : "no",
            "active": "\(duration(evidence.activeMilliseconds)) of \(duration(verdict.requiredMilliseconds))",
            "scroll": "\(evidence.maximumScroll)%",
            "end": evidence.reachedEnd ? "yes" : "no",
            "acknowledged": evidence.acknowledgedAt.map(format) ?? "",
            "version": evidence.version == nil
                ? "unknown" : "\(verdict.isEarlierVersion ? "earlier" : "current"), seen \(ShortDate.utc.string(evidence.firstView)) UTC",
            "versionID": evidence.version ?? "",
            "automated": evidence.automated ? "automated" : "",
            "views": reader.views,
            "first": reader.firstView.map(format) ?? "",
            "last": reader.lastView.map(format) ?? "",
        ]
    }

    /// `m:ss` for a duration in milliseconds.
    static func duration(_ milliseconds: Int) -> String {
        let seconds = milliseconds / 1000
        return "\(seconds / 60):\(seconds % 60 < 10 ? "0" : "")\(seconds % 60)"
    }

    private static func policyValues(_ policy: ReadingPolicy, editable: Bool) -> [String: Any] {
        [
            "editable": editable,
            "words-per-minute": String(policy.wordsPerMinute),
            "maximum-seconds": String(policy.maximumSeconds),
            "minimum-seconds": String(policy.minimumSeconds),
            "requiresAcknowledgement": policy.requiresAcknowledgement,
            "requiresRereading": policy.requiresRereading,
        ]
    }

    /// Why a policy form was refused.
    struct InvalidPolicy: Error, CustomStringConvertible {
        let description: String
    }

    /// The policy a form asks for; every number must be a whole number in range.
    static func policy(from form: FormFields) -> Result<ReadingPolicy, InvalidPolicy> {
        func number(_ name: String, _ label: String, _ range: ClosedRange<Int>) -> Int? {
            form[name].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.flatMap { range.contains($0) ? $0 : nil }
        }
        guard let wordsPerMinute = number("words-per-minute", "Words per minute", 1...10_000) else {
            return .failure(InvalidPolicy(description: "Words per minute must be a whole number from 1 to 10000."))
        }
        guard let maximum = number("maximum-seconds", "Maximum", 0...86_400), let minimum = number("minimum-seconds", "Minimum", 0...86_400)
        else {
            return .failure(InvalidPolicy(description: "The reading times must be whole numbers of seconds from 0 to 86400."))
        }
        return .success(
            ReadingPolicy(
                wordsPerMinute: wordsPerMinute,
                maximumSeconds: maximum,
                minimumSeconds: minimum,
                requiresAcknowledgement: form["requires-acknowledgement"] == "yes",
                requiresRereading: form["requires-rereading"] == "yes"
            )
        )
    }

    private static func row(_ entry: AccessLogEntry) -> [String: Any] {
        [
            "member": entry.member,
            "url": (try? SectionPath(entry.url))?.urlEncoded ?? "",
            "display": entry.title.map { "\($0) (\(entry.url))" } ?? entry.url,
            "link": (try? SectionPath(entry.url)) != nil,
            "count": entry.count,
            "first": Self.format(entry.firstAccess),
            "last": Self.format(entry.lastAccess),
        ]
    }

    /// `2026-12-03 09:00:00 UTC`, as every admin page shows times.
    static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) UTC"
    }
}
