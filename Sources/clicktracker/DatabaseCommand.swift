import ArgumentParser
import ClickTrackerPostgres
import ClickTrackerServer
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

        @Option(
            help:
                "Connection string: 'dbname=tracking host=… user=… password=… sslmode=…' or postgres://… (default: CLICKTRACKER_POSTGRES_DSN, else postgres.dsn in --config)"
        )
        var dsn: String?

        @Option(help: "Configuration file (JSON) whose postgres.dsn is used, as serve reads it; keeps the password off the command line.")
        var config: String?

        @Option(help: "Seconds to wait for the server.")
        var timeout = 10

        func run() async throws {
            let (text, source) = try await connectionString()
            let parsed: PostgresDSN
            do {
                parsed = try PostgresDSN(text)
            } catch {
                throw CommandError("invalid connection string\(source): \(error)")
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

        /// The connection string as `serve` finds it, and where it came from for messages: --dsn,
        /// else CLICKTRACKER_POSTGRES_DSN, else the configuration file's postgres.dsn.
        private func connectionString() async throws -> (text: String, source: String) {
            if let dsn { return (dsn, "") }
            let configuration = try await ServerConfiguration.forCommand(file: config)
            guard let dsn = configuration.postgresDSN else {
                let what = config.map { "\($0) has no postgres.dsn" } ?? "no PostgreSQL database given"
                throw CommandError(
                    "\(what): use --dsn 'dbname=… host=… user=…', set CLICKTRACKER_POSTGRES_DSN, or give --config FILE with \"postgres\": { \"dsn\": … }"
                )
            }
            return (dsn, configuration.postgresDSNFromEnvironment ? " in CLICKTRACKER_POSTGRES_DSN" : " in \(config ?? "the configuration")")
        }
    }
}
