import SQLiteNIO
import Synchronization

/// Copies the write-ahead log back into the database file on a connection of its own, so that
/// no commit waits for it (SQLite's automatic checkpoint runs inside the commit that fills the log).
///
/// The writer asks for a checkpoint from its WAL hook once the log holds ``pagesBeforeCheckpoint``
/// pages; one runs at a time, `PASSIVE`, so writers and readers are never blocked by it.
final class SQLiteCheckpointer: Sendable {
    /// SQLite's own threshold for its automatic checkpoint.
    static let pagesBeforeCheckpoint: Int32 = 1000

    private let connection: SQLiteWriteConnection
    private let state = Mutex<(running: Bool, closed: Bool)>((false, false))

    private init(connection: SQLiteWriteConnection) {
        self.connection = connection
    }

    /// Opens the checkpoint connection to the database at `path`.
    static func open(path: String) async throws -> SQLiteCheckpointer {
        SQLiteCheckpointer(connection: try await SQLiteWriteConnection.open(path: path))
    }

    /// Starts a checkpoint on the thread pool unless one is running or the checkpointer is closed.
    func request() {
        let start = state.withLock { state in
            guard !state.running, !state.closed else { return false }
            state.running = true
            return true
        }
        guard start else { return }
        NIOThreadPool.singleton.submit { work in
            // Busy (another process is checkpointing) or failed: the next commit asks again.
            if case .active = work {
                _ = try? self.connection.query("PRAGMA wal_checkpoint(PASSIVE)")
            }
            self.state.withLock { $0.running = false }
        }
    }

    /// Waits for a running checkpoint, then closes the connection.
    func close() async throws {
        while state.withLock({ state in
            state.closed = true
            return state.running
        }) {
            try? await Task.sleep(for: .milliseconds(5))
        }
        try await connection.close()
    }
}
