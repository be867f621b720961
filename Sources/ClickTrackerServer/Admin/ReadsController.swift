import ClickTracker
import ClickTrackerHummingbird
import Foundation
import Hummingbird

/// A person's history: what they read, when, with the evidence and verdict. Every signed-in
/// user sees their own ("My reads"); only administrators see someone else's.
struct ReadsController: Sendable {
    static let pageSize = 50

    let tracker: ClickTracker
    let admin: AdminGate
    let pages: PageRenderer

    var prefix: String { pages.collectorPath }

    func addRoutes(to router: Router<ServerRequestContext>) {
        router.get(RouterPath("\(prefix)/reads")) { request, context in
            try await history(request, context: context)
        }
    }

    func history(_ request: Request, context: ServerRequestContext) async throws -> Response {
        context.clickTracker.ignore()
        guard let user = context.user else {
            return .redirect(to: "\(prefix)/login?next=\(SiteController.queryValue("\(prefix)/reads"))", type: .found)
        }
        let parameters = request.uri.queryParameters
        let member = parameters["member"].map(String.init) ?? user.name
        guard member == user.name || user.isAdmin else {
            return admin.message("Not allowed", "You can see your own reads only.", context: context, status: .forbidden)
        }
        // Admins get the database-unreachable page; a reader's own page goes through the same gate's handling.
        return try await admin.handleAny(request, context) {
            let allColumns = parameters["columns"] == "all"
            let pageURL = "\(prefix)/reads?member=\(SiteController.queryValue(member))"
            let base = pageURL + (allColumns ? "&columns=all" : "")
            let table = ReportTable<ReadersOrder>(parameters, section: .root, pageSize: Self.pageSize, base: base, member: member)
            if let format = try AdminGate.downloadFormat(request) {
                try await admin.audit(context, "history \(format.rawValue)", member)
                let sheet = try await Reports.readers(tracker.storage, table.query)
                return try await sheet.start().response(format, download: "reads-\(Self.fileName(member))")
            }
            try await admin.audit(context, "history page", member)
            let page = try await tracker.storage.readers(table.query)
            let policies = try await SectionPolicies.load(tracker.storage)
            let person = try await tracker.storage.people([member])[member]
            var values: [String: Any] = [
                "member": member,
                "name": person?.displayName ?? member,
                "isOwn": member == user.name,
                "rows": page.readers.map { reader in
                    TrackingController.readerRow(reader, policy: policies.policy(forDocument: reader.document.path))
                },
                "downloads": table.downloads(),
                "allColumns": allColumns,
                "allColumnsURL": "\(pageURL)&columns=all",
                "fewerColumnsURL": pageURL,
                "columns": Dictionary(
                    uniqueKeysWithValues: table.columns([
                        (.document, "Document"), (.views, "Views"), (.firstView, "First view"), (.lastView, "Last view"),
                    ]).map { ($0["key"] as? String ?? "", $0) }
                ),
            ]
            values.merge(table.pager(rows: page.readers.count, total: page.total)) { _, new in new }
            return pages.page("reads", values, context: context)
        }
    }

    /// A member id as part of a file name: letters, digits, `.`, `-` and `_` only.
    static func fileName(_ member: String) -> String {
        String(member.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
    }
}
