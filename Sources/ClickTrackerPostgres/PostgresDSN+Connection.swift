import Logging
import PostgresNIO

extension PostgresDSN {
    /// Opens one connection, runs `body` on it and closes it, all within `timeout`; for setup
    /// steps and checks, not for serving (use ``PostgresStore``).
    /// - Throws: ``PostgresSchema/SetupError`` naming this DSN (never its password) and what failed.
    public func withConnection<T: Sendable>(
        timeout: Duration,
        logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let dsn = self
        do {
            let configuration = try connectionConfiguration()
            return try await withThrowingTaskGroup(of: T.self) { group in
                group.addTask {
                    let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
                    do {
                        let result = try await body(connection)
                        try await connection.close()
                        return result
                    } catch {
                        try? await connection.close()
                        throw error
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw NoAnswer()
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
        } catch let error as PSQLError {
            let unreachable = ServerAvailability.unavailableReason(error) != nil
            let text = error.operatorDescription(connectingTo: dsn)
            // A failed connection names the address it tried; what the server refused names the database.
            throw PostgresSchema.SetupError(description: error.code == .connectionError ? text : "\(dsn): \(text)", isUnreachable: unreachable)
        } catch is NoAnswer {
            throw PostgresSchema.SetupError(
                description:
                    "no answer from \(dsn.address) within \(timeout); check host and port in the connection string, and that a firewall lets it through",
                isUnreachable: true
            )
        } catch {
            throw PostgresSchema.SetupError(description: "\(dsn): \(error)")
        }
    }
}

private struct NoAnswer: Error {}
