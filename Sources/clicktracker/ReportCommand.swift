import ArgumentParser
import ClickTracker
import ClickTrackerServer
import Foundation

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print a report from the configured store: the same columns as the page and its CSV and JSON downloads.",
        discussion: """
            Long reports stream: rows are read from the store a thousand at a time and written as they come, with the \
            progress on standard error. Every report read is written to the audit log (as cli: and the system user).
            """,
        subcommands: [AccessLog.self, Readers.self, History.self, Request.self, Audit.self]
    )

    /// Output options every report shares.
    struct OutputOptions: ParsableArguments {
        @Option(name: .shortAndLong, help: "table (aligned text), csv or json.")
        var format: ReportFormat = .table

        @Option(name: .shortAndLong, help: "Write to this file instead of standard output (replaced only once the report is complete).")
        var output: String?

        @Flag(help: "Sort in descending order.")
        var descending = false

        @Option(
            help: ArgumentHelp(
                "The columns to show, separated by commas, or all (a wrong name lists the report's columns). Default: a few that fit a terminal in a table, all in CSV and JSON.",
                valueName: "a,b,c"
            )
        )
        var columns: String?

        @OptionGroup var store: GroupCommand.StoreOptions

        /// Writes `sheet` (`nil`: the reading request named does not exist), after noting in the audit log who read it.
        func write(_ sheet: (any ClickStorage) async throws -> ReportSheet?, subject: String) async throws {
            // A file is written beside its final name and moved there when complete.
            let partial = output.map { "\($0).partial" }
            let destination: FileHandle
            if let partial {
                guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                    throw CommandError("cannot write \(partial)")
                }
                destination = try FileHandle(forWritingTo: URL(fileURLWithPath: partial))
            } else {
                destination = .standardOutput
            }
            defer {
                try? destination.close()
                if let partial { try? FileManager.default.removeItem(atPath: partial) }
            }
            try await store.withStore(mustExist: true) { storage in
                guard let whole = try await sheet(storage) else { throw CommandError("there is no reading request \(subject)") }
                let sheet = try choosingColumns(of: whole)
                let actor = "cli:\(ProcessInfo.processInfo.environment["USER"] ?? NSUserName())"
                try await storage.recordAudit(AuditEntry(at: Date(), actor: actor, action: "\(sheet.kind) \(format.rawValue)", subject: subject))
                let stream = try await sheet.start()
                let progress = Progress(showing: stream.count > ReportSheet.chunkSize)
                try await stream.write(format, progress: progress.update) { text in destination.write(Data(text.utf8)) }
                progress.finish()
            }
            if let output, let partial {
                _ = try? FileManager.default.removeItem(atPath: output)
                try FileManager.default.moveItem(atPath: partial, toPath: output)
            }
        }

        /// `sheet` with the columns asked for, or else the default ones of the format.
        private func choosingColumns(of sheet: ReportSheet) throws -> ReportSheet {
            guard let columns else { return format == .table ? try sheet.selecting(sheet.terminalColumns) : sheet }
            let names = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard names != ["all"] else { return sheet }
            guard !names.isEmpty else {
                throw CommandError("--columns: name at least one column, such as --columns \(sheet.terminalColumns.joined(separator: ","))")
            }
            do {
                return try sheet.selecting(names)
            } catch {
                throw CommandError("--columns: \(error)")
            }
        }
    }

    /// Which rows of a section's report, in which order.
    struct Filter<Order: ReportOrder & ExpressibleByArgument>: ParsableArguments {
        @Option(help: "The section (a folder or document path).")
        var section: String = "/"

        @Option(help: "Only this member's rows.")
        var user: String?

        @Option(help: ArgumentHelp("Sort by \(Order.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "column"))
        var sort: Order = .first

        func query(descending: Bool) throws -> ReportQuery<Order> {
            ReportQuery(section: try ReportCommand.section(section), member: user, order: sort, descending: descending)
        }
    }

    struct AccessLog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "access-log",
            abstract: "Per member and URL under a section: how often and when (the seed's report)."
        )

        @OptionGroup var filter: Filter<AccessLogOrder>
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let query = try filter.query(descending: output.descending)
            try await output.write({ Reports.accessLog($0, query) }, subject: query.section.value)
        }
    }

    struct Readers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Who read what under a section, with the evidence and the verdict.")

        @OptionGroup var filter: Filter<ReadersOrder>
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let query = try filter.query(descending: output.descending)
            try await output.write({ try await Reports.readers($0, query) }, subject: query.section.value)
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One person's history: every tracked document they read, with evidence.")

        @Option(help: "The member id.")
        var user: String

        @Option(help: "Sort by document, views, first or last.")
        var sort: ReadersOrder = .document

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let query = ReadersQuery(section: .root, member: user, order: sort, descending: output.descending)
            try await output.write({ try await Reports.readers($0, query) }, subject: user)
        }
    }

    struct Request: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A reading request's status: every expected reader at the deadline and now, not-read first."
        )

        @Argument(help: "The request's id (shown in its page's address).")
        var id: Int64

        @Option(help: "Sort the readers by status (furthest behind first), name, or read (documents read).")
        var sort: RequestOrder = .status

        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await output.write(
                { try await Reports.request($0, id: id, order: sort, descending: output.descending) },
                subject: String(id)
            )
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The audit log, newest first: who looked at which report.")

        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await output.write({ Reports.audit($0) }, subject: "")
        }
    }

    static func section(_ value: String) throws -> SectionPath {
        do {
            return try SectionPath(value)
        } catch {
            throw CommandError("--section must be an absolute path such as /papers")
        }
    }
}

extension ReportFormat: ExpressibleByArgument {}
extension AccessLogOrder: ExpressibleByArgument {}
extension ReadersOrder: ExpressibleByArgument {}
extension RequestOrder: ExpressibleByArgument {}
