import ArgumentParser
import ClickTrackerPostgres
import Foundation
import Logging

struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Set up the PostgreSQL database.",
        subcommands: [Initialise.self]
    )

    struct Initialise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create or migrate ClickTracker's schema (sql/db.sql); safe to run again."
        )

        @Option(help: "Connection string: 'dbname=tracking host=… user=… password=… sslmode=…' or postgres://…")
        var dsn: String

        @Option(help: "Seconds to wait for the server.")
        var timeout = 10

        func run() async throws {
            let parsed: PostgresDSN
            do {
                parsed = try PostgresDSN(dsn)
            } catch {
                throw CommandError("invalid connection string: \(error)")
            }
            let logger = {
                var logger = Logger(label: "clicktracker.db")
                logger.logLevel = .critical
                return logger
            }()
            let outcome: PostgresSchema.Outcome
            do {
                outcome = try await parsed.withConnection(timeout: .seconds(timeout), logger: logger) { connection in
                    try await PostgresSchema.initialise(connection, logger: logger)
                }
            } catch {
                throw CommandError("\(error)")
            }
            print("\(parsed): \(outcome)")
        }
    }
}
