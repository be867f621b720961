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
        guard let name = request.uri.queryParameters["name"].map(String.init) else {
            let groups = try await storage.groups().map { ["name": $0.name, "size": $0.size, "url": groupURL($0.name)] as [String: Any] }
            return pages.page("groups", ["groups": groups], context: context)
        }
        guard let members = try await storage.members(ofGroup: name) else {
            return admin.message("No such group", "There is no group named \(name).", context: context, status: .notFound)
        }
        let values: [String: Any] = [
            "name": name,
            "size": members.count,
            "members": members.map { ["member": $0.member, "displayName": $0.displayName ?? "", "email": $0.email ?? ""] },
            "csv": PeopleCSV.write(members),
            "exportURL": "\(prefix)/groups/export?name=\(SiteController.queryValue(name))",
            "jsonURL": "\(prefix)/groups/export?name=\(SiteController.queryValue(name))&format=json",
        ]
        return pages.page("group", values, context: context)
    }

    func change(_ request: Request, context: ServerRequestContext) async throws -> Response {
        guard let form = try await admin.verifiedForm(request, context, limit: Self.maximumUpload) else { return admin.csrfRejected(context) }
        let name: String
        do {
            name = try MemberGroup.validate(name: form["name"] ?? "")
        } catch {
            return admin.badRequest("The group was not changed: \(error).", context: context)
        }
        switch form["action"] {
        case "set":
            do {
                let people = try PeopleCSV.parse(form["csv"] ?? "")
                try await storage.setGroup(name, members: people)
            } catch let error as PeopleCSV.Invalid {
                return admin.badRequest("The group was not changed: \(error)", context: context)
            }
        case "delete":
            try await storage.deleteGroup(name)
            return .redirect(to: "\(prefix)/groups", type: .found)
        default:
            return admin.badRequest("The action must be set or delete.", context: context)
        }
        return .redirect(to: groupURL(name), type: .found)
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
