import ClickTracker
import ClickTrackerHummingbird
import Foundation
import Hummingbird

/// The Groups page: named lists of readers (a committee, a board), set from CSV
/// (`user,name,email`), shown with their names and emails, downloadable as CSV.
struct GroupsController: Sendable {
    /// The largest CSV accepted from the form.
    static let maximumUpload = 4 * 1024 * 1024

    let storage: any ClickStorage
    let admin: AdminGate
    let pages: PageRenderer

    var prefix: String { pages.collectorPath }

    func addRoutes(to router: Router<ServerRequestContext>) {
        router.get(RouterPath("\(prefix)/groups")) { request, context in
            try await admin.handle(request, context) { try await show(request, context: context) }
        }
        router.post(RouterPath("\(prefix)/groups")) { request, context in
            try await admin.handle(request, context) { try await change(request, context: context) }
        }
        router.get(RouterPath("\(prefix)/groups/export")) { request, context in
            try await admin.handle(request, context) { try await export(request, context: context) }
        }
    }

    private func groupURL(_ name: String) -> String {
        "\(prefix)/groups?name=\(SiteController.queryValue(name))"
    }

    func show(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let notice: [String: Any] = DoneNotice.text(request).map { ["doneNotice": $0] } ?? [:]
        guard let name = request.uri.queryParameters["name"].map(String.init) else {
            return try await listPage(notice, context: context)
        }
        return try await groupPage(name, notice, context: context)
    }

    /// The list of groups and the form for a new one; `values` add to (or replace) the page's.
    private func listPage(_ values: [String: Any], status: HTTPResponse.Status = .ok, context: ServerRequestContext) async throws -> Response {
        let groups = try await storage.groups().map { ["name": $0.name, "size": $0.size, "url": groupURL($0.name)] as [String: Any] }
        let page: [String: Any] = ["groups": groups, "csv": "user,name,email\n"]
        return pages.page("groups", page.merging(values) { _, new in new }, context: context, status: status)
    }

    /// One group's members and the form to change them; `values` add to (or replace) the page's.
    private func groupPage(
        _ name: String,
        _ values: [String: Any],
        status: HTTPResponse.Status = .ok,
        context: ServerRequestContext
    ) async throws -> Response {
        guard let members = try await storage.members(ofGroup: name) else {
            return admin.message("No such group", "There is no group named \(name).", context: context, status: .notFound)
        }
        let page: [String: Any] = [
            "name": name,
            "size": members.count,
            "members": members.map { ["member": $0.member, "displayName": $0.displayName ?? "", "email": $0.email ?? ""] },
            "csv": PeopleCSV.write(members),
            "exportURL": "\(prefix)/groups/export?name=\(SiteController.queryValue(name))",
            "jsonURL": "\(prefix)/groups/export?name=\(SiteController.queryValue(name))&format=json",
        ]
        return pages.page("group", page.merging(values) { _, new in new }, context: context, status: status)
    }

    func change(_ request: Request, context: ServerRequestContext) async throws -> Response {
        guard let form = try await admin.verifiedForm(request, context, limit: Self.maximumUpload) else { return admin.csrfRejected(context) }
        let name: String
        do {
            name = try MemberGroup.validate(name: form["name"] ?? "")
        } catch {
            return try await refused(form, field: "name", "The group was not saved: \(error).", context: context)
        }
        switch form["action"] {
        case "set":
            let existed = try await storage.members(ofGroup: name) != nil
            // The New group form never replaces a group's members: that is the group's own page.
            if existed, form["form"] == "new" {
                return try await refused(
                    form,
                    field: "name",
                    "There is already a group named \(name): open it from the list above to change its members.",
                    context: context
                )
            }
            let people: [Person]
            switch Result(catching: { () throws(PeopleCSV.Invalid) in try PeopleCSV.parse(form["csv"] ?? "") }) {
            case .success(let parsed): people = parsed
            case .failure(let error): return try await refused(form, field: "csv", "The group was not saved: \(error)", context: context)
            }
            try await storage.setGroup(name, members: people)
            return .redirect(to: (existed ? DoneNotice.groupSaved : .groupCreated).url(groupURL(name)), type: .found)
        case "delete":
            guard form["confirmed"] == "yes" else {
                let size = try await storage.members(ofGroup: name)?.count ?? 0
                return admin.confirmation(
                    "Delete the group \(name)?",
                    "Its list of \(RequestsController.plural(size, "member")) is deleted. Reading requests for this group then expect nobody "
                        + "from it; what people have read is kept.",
                    button: "Delete the group",
                    action: "\(prefix)/groups",
                    fields: [("action", "delete"), ("name", name)],
                    cancel: groupURL(name),
                    context: context
                )
            }
            try await storage.deleteGroup(name)
            return .redirect(to: DoneNotice.groupDeleted.url("\(prefix)/groups"), type: .found)
        default:
            return admin.badRequest("The action must be set or delete.", context: context)
        }
    }

    /// A refused form, back with the error beside its field and what was typed kept.
    private func refused(_ form: FormFields, field: String, _ error: String, context: ServerRequestContext) async throws -> Response {
        let values: [String: Any] = ["errors": [field: error], "csv": form["csv"] ?? "", "typedName": form["name"] ?? ""]
        // The form of an existing group's page, or else the new group's.
        if form["form"] != "new", let name = form["name"], try await storage.members(ofGroup: name) != nil {
            return try await groupPage(name, values, status: .badRequest, context: context)
        }
        return try await listPage(values, status: .badRequest, context: context)
    }

    /// The group's members as CSV (the import format: `user,name,email`) or, with `format=json`, JSON.
    func export(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let name = request.uri.queryParameters["name"].map(String.init) ?? ""
        let format = try AdminGate.downloadFormat(request) ?? .csv
        guard let sheet = try await Reports.group(storage, name: name) else {
            return admin.message("No such group", "There is no group named \(name).", context: context, status: .notFound)
        }
        let file = String(name.unicodeScalars.map { $0.isASCII && CharacterSet.alphanumerics.contains($0) ? Character($0) : "-" })
        return try await sheet.start().response(format, download: file)
    }
}
