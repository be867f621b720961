import ArgumentParser
import ClickTracker
import ClickTrackerServer
import Foundation

struct SpoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool",
        abstract: "Show the local spool of a stopped server, and write its set-aside reads again.",
        discussion: """
            Reads acknowledged while the database was unreachable wait in the local spool (spool in the configuration) \
            and are written, oldest first, once it answers. A read the database refuses twice with the same reason is set \
            aside in the spool's rejected.jsonl with that reason; nothing is ever deleted. Fix the cause, then run \
            `clicktracker spool retry` (or use the button on a running server's Storage page): the set-aside reads are \
            put back and the whole spool is written to the configured store. Reads refused again are set aside again.

            A running server holds its spool: use its Storage page instead, or stop it first.
            """,
        subcommands: [Status.self, Retry.self],
        defaultSubcommand: Status.self
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "How many reads wait in the spool, and how many were set aside and why.")

        @OptionGroup var store: GroupCommand.StoreOptions

        func run() async throws {
            let spool = try await SpoolCommand.open(store)
            let waiting = await spool.backlog
            let setAside = await spool.setAsideSummary
            await spool.close()
            print(
                waiting == 0
                    ? "No reads are waiting in \(spool.directory)."
                    : "\(waiting) \(waiting == 1 ? "read is" : "reads are") waiting in \(spool.directory)."
            )
            SpoolCommand.printSetAside(setAside, file: spool.rejectedFile)
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put the set-aside reads back and write the whole spool to the configured store."
        )

        @OptionGroup var store: GroupCommand.StoreOptions

        func run() async throws {
            let spool = try await SpoolCommand.open(store)
            let outcome: Result<Int, any Error>
            do {
                outcome = .success(
                    try await store.withStore { storage in
                        let queue = IngestQueue(storage: storage, spool: spool)
                        let requeued = try await queue.retrySetAside()
                        try await queue.replaySpoolNow()
                        return requeued
                    }
                )
            } catch {
                outcome = .failure(error)
            }
            let waiting = await spool.backlog
            let setAside = await spool.setAsideSummary
            await spool.close()
            switch outcome {
            case .success(let requeued):
                let again = setAside.reduce(0) { $0 + $1.count }
                print(
                    "Put \(requeued) set-aside \(requeued == 1 ? "read" : "reads") back; the spool is written to the store (\(requeued - min(again, requeued)) of them accepted)."
                )
                SpoolCommand.printSetAside(setAside, file: spool.rejectedFile)
            case .failure(let error):
                throw CommandError(
                    "the store could not take the spool: \(error). \(waiting) \(waiting == 1 ? "read stays" : "reads stay") in \(spool.directory); nothing was lost"
                )
            }
        }
    }

    /// Opens the configured spool folder; fails clearly while a server holds it.
    static func open(_ options: GroupCommand.StoreOptions) async throws -> Spool {
        let configuration: ServerConfiguration
        do {
            configuration = try await ServerConfiguration.load(file: options.config)
        } catch {
            throw CommandError("\(error)")
        }
        guard FileManager.default.fileExists(atPath: configuration.spoolDirectory) else {
            throw CommandError("there is no spool at \(configuration.spoolDirectory) (spool in the configuration)")
        }
        do {
            return try Spool(directory: configuration.spoolDirectory)
        } catch {
            throw CommandError("\(error). A running server holds its spool: use the Storage page, or stop the server first")
        }
    }

    static func printSetAside(_ summary: [(reason: String, count: Int)], file: String) {
        guard !summary.isEmpty else {
            print("No reads are set aside.")
            return
        }
        let count = summary.reduce(0) { $0 + $1.count }
        print("\(count) \(count == 1 ? "read is" : "reads are") set aside in \(file), refused by the store:")
        for (reason, count) in summary { print("  \(count) × \(oneLine(reason))") }
        print("Fix the cause, then run: clicktracker spool retry")
    }

    /// The store's message on one line, without control characters that could drive the terminal.
    private static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }
}
