import ArgumentParser
import ClickTrackerPostgres
import Foundation
import Logging
import PostgresNIO

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
            let limit = timeout
            let outcome: PostgresSchema.Outcome
            do {
                let configuration = try parsed.connectionConfiguration()
                outcome = try await withThrowingTaskGroup(of: PostgresSchema.Outcome.self) { group in
                    group.addTask {
                        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
                        do {
                            let outcome = try await PostgresSchema.initialise(connection, logger: logger)
                            try await connection.close()
                            return outcome
                        } catch {
                            try? await connection.close()
                            throw error
                        }
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(limit))
                        throw CommandError("no answer from \(parsed) within \(limit) s")
                    }
                    defer { group.cancelAll() }
                    return try await group.next()!
                }
            } catch let error as PSQLError {
                throw CommandError("\(parsed): \(error.operatorDescription)")
            } catch let error as CommandError {
                throw error
            } catch {
                throw CommandError("\(parsed): \(error)")
            }
            print("\(parsed): \(outcome)")
        }
    }
}
