import ClickTracker
import ClickTrackerPostgres
import Hummingbird

/// The control panel's Storage page: the current store and its counts, the local spool, and
/// the PostgreSQL steps — test a connection, initialise the database, switch the running
/// server (optionally copying the SQLite file's reads across), or switch back.
struct StorageController: Sendable {
    let storage: StorageManager
    let admin: AdminGate
    let pages: PageRenderer

    var path: String { "\(pages.collectorPath)/storage" }

    func addRoutes(to router: Router<ServerRequestContext>) {
        router.get(RouterPath(path)) { request, context in
            try await admin.handle(request, context) { await page(context: context) }
        }
        router.post(RouterPath(path)) { request, context in
            try await admin.handle(request, context) { try await act(request, context: context) }
        }
    }

    /// One outcome shown above the forms.
    private struct Notice {
        var text: String
        var isError = false
        var details: [String] = []
    }

    private func act(_ request: Request, context: ServerRequestContext) async throws -> Response {
        guard let form = try await admin.verifiedForm(request, context) else { return admin.csrfRejected(context) }
        do {
            switch form["action"] {
            case "test":
                let text = (form["dsn"] ?? "").trimmingCharacters(in: .whitespaces)
                guard !text.isEmpty else { return admin.badRequest("Enter a connection string, such as dbname=tracking.", context: context) }
                let status: DatabaseStatus
                do {
                    status = try await storage.test(text)
                } catch let error as StorageManager.Failure {
                    return admin.badRequest(error.description, context: context)
                }
                return await page(context: context, notice: Self.describe(status))
            case "init":
                let outcome = try await storage.initialise(candidate: form["candidate"])
                return await page(context: context, notice: Notice(text: "Done: \(outcome)."))
            case "switch":
                let result = try await storage.switchToCandidate(form["candidate"], copyData: form["copy"] == "yes")
                return await page(context: context, notice: Notice(text: "The server now stores reads in \(result.location). \(result.saved)"))
            case "sqlite":
                let result = try await storage.switchToSQLite()
                return await page(context: context, notice: Notice(text: "The server now stores reads in \(result.location). \(result.saved)"))
            case "retry":
                let count = try await storage.queue.retrySetAside()
                let text =
                    count == 0
                    ? "There were no set-aside reads to write."
                    : "\(count) set-aside \(count == 1 ? "read was" : "reads were") put back into the local spool and \(count == 1 ? "is" : "are") being written to the database; any it refuses again are set aside again with its reason."
                return await page(context: context, notice: Notice(text: text))
            case "copy":
                try await storage.copyAgain()
                return await page(context: context, notice: Notice(text: "Copying the SQLite file's reads again; views already there are skipped."))
            default:
                return admin.badRequest("The action must be test, init, switch, sqlite, copy or retry.", context: context)
            }
        } catch let error as StorageManager.Failure {
            return await page(context: context, notice: Notice(text: error.description, isError: true), status: .conflict)
        } catch let error as Spool.Failure {
            return await page(context: context, notice: Notice(text: error.description, isError: true), status: .conflict)
        } catch let error as PostgresSchema.SetupError {
            return await page(context: context, notice: Notice(text: error.description, isError: true), status: .conflict)
        }
    }

    private static func describe(_ status: DatabaseStatus) -> Notice {
        var details = [
            "PostgreSQL \(status.serverVersion), database \(status.database), connected as \(status.user).",
            status.canCreateTables ? "The role may create tables." : "The role may not create tables here; initialise as the database's owner.",
        ]
        switch status.schemaVersion {
        case .none where status.hasSeedSchema:
            details.append("It holds the tables of the original slc.clicktracker: Initialise migrates them, keeping their access log.")
        case .none:
            details.append("There is no ClickTracker schema yet: Initialise creates it.")
        case .some(let version) where version == PostgresSchema.version:
            details.append("The ClickTracker schema is current (version \(version)); the server can switch to it.")
        case .some(let version) where version < PostgresSchema.version:
            details.append("The ClickTracker schema is version \(version): Initialise upgrades it to \(PostgresSchema.version).")
        case .some(let version):
            details.append(
                "The ClickTracker schema is version \(version), newer than this server's (\(PostgresSchema.version)); upgrade ClickTracker."
            )
        }
        return Notice(text: "Connected.", details: details)
    }

    private func page(context: ServerRequestContext, notice: Notice? = nil, status: HTTPResponse.Status = .ok) async -> Response {
        let active = storage.live.active
        var values: [String: Any] = [
            "current": active.location.description,
            "onPostgres": active.location.isPostgres,
            "sqlitePath": storage.configuration.databasePath,
            "spoolPath": storage.configuration.spoolDirectory,
        ]
        let spooled = await storage.queue.spooled
        values["spooled"] = spooled
        values["hasSpooled"] = spooled > 0
        let setAside = await storage.queue.setAsideSummary
        if !setAside.isEmpty {
            let count = setAside.reduce(0) { $0 + $1.count }
            values["setAside"] = [
                "count": count, "reads": count == 1 ? "read" : "reads", "were": count == 1 ? "was" : "were",
                "file": storage.configuration.spoolDirectory + "/rejected.jsonl",
                "reasons": setAside.map { ["count": $0.count, "reason": $0.reason] },
            ]
        }
        do {
            let statistics = try await storage.live.statistics()
            let plural = RequestsController.plural
            values["statistics"] =
                "It holds \(plural(statistics.views, "view")) of \(plural(statistics.documents, "document")) (\(plural(statistics.clickRows, "access-log row"))) and \(plural(statistics.sections, "tracked section"))."
        } catch {
            values["unreachable"] = "\(error)"
        }
        if let notice {
            values["notice"] = ["text": notice.text, "isError": notice.isError, "details": notice.details]
        }
        if let candidate = await storage.candidate {
            values["candidate"] = ["dsn": candidate.dsn.description, "id": candidate.id]
        }
        switch await storage.copy {
        case .running(let copied, let total):
            values["copyRunning"] = ["copied": copied, "total": total, "percent": total == 0 ? 0 : copied * 100 / total]
        case .finished(let report):
            values["copyFinished"] = [
                "complete": report.isComplete, "present": report.present,
                "rows": [
                    Self.row("Views (reads)", report.source.views, report.destination.views),
                    Self.row("Documents", report.source.documents, report.destination.documents),
                    Self.row("Access-log rows", report.source.clickRows, report.destination.clickRows),
                    Self.row("Times accessed, summed", report.source.clicks, report.destination.clicks),
                    Self.row("Tracked sections", report.source.sections, report.destination.sections),
                ],
                "sourceViews": report.source.views,
            ]
        case .failed(let copied, let reason):
            values["copyFailed"] = ["copied": copied, "reason": reason]
        case .none:
            break
        }
        return pages.page("storage", values, context: context, status: status)
    }

    private static func row(_ label: String, _ source: Int, _ destination: Int) -> [String: Any] {
        ["label": label, "source": source, "destination": destination]
    }
}
