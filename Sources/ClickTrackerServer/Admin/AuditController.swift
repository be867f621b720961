import ClickTracker
import ClickTrackerHummingbird
import Foundation
import Hummingbird

/// The audit log: who looked at which report, when (pages, downloads, the API, the CLI).
struct AuditController: Sendable {
    static let pageSize = 50

    let storage: any ClickStorage
    let admin: AdminGate
    let pages: PageRenderer

    var prefix: String { pages.collectorPath }

    func addRoutes(to router: Router<ServerRequestContext>) {
        router.get(RouterPath("\(prefix)/audit")) { request, context in
            try await admin.handle(request, context) { try await show(request, context: context) }
        }
    }

    func show(_ request: Request, context: ServerRequestContext) async throws -> Response {
        if let format = try AdminGate.downloadFormat(request) {
            try await admin.audit(context, "audit \(format.rawValue)", "")
            return try await Reports.audit(storage).start().response(format, download: "audit")
        }
        let page = min(max(1, request.uri.queryParameters["page"].flatMap { Int(String($0)) } ?? 1), 1_000_000)
        let log = try await storage.auditLog(limit: Self.pageSize, offset: (page - 1) * Self.pageSize)
        let rows = log.entries.map { entry -> [String: Any] in
            ["at": TrackingController.format(entry.at), "actor": entry.actor, "action": entry.action, "subject": entry.subject]
        }
        let first = (page - 1) * Self.pageSize
        var values: [String: Any] = [
            "rows": rows,
            "range": log.total == 0 ? "" : "Rows \(first + 1)–\(first + rows.count) of \(log.total)",
            "csvURL": "\(prefix)/audit?format=csv",
            "jsonURL": "\(prefix)/audit?format=json",
        ]
        if page > 1 { values["previous"] = "\(prefix)/audit?page=\(page - 1)" }
        if first + rows.count < log.total { values["next"] = "\(prefix)/audit?page=\(page + 1)" }
        return pages.page("audit", values, context: context)
    }
}
