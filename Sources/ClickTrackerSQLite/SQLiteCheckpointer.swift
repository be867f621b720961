import SQLiteNIO
import Synchronization

/// Copies the write-ahead log back into the database file on a connection and a thread of its
/// own, so that no commit waits for it (SQLite's automatic checkpoint runs inside the commit that
/// fills the log) and no read waits for a thread while it runs.
///
/// The writer asks for a checkpoint from its WAL hook once the log holds ``pagesBeforeCheckpoint``
/// pages; one runs at a time, `PASSIVE`, so writers and readers are never blocked by it.
final class SQLiteCheckpointer: Sendable {
    /// SQLite's own threshold for its automatic checkpoint.
    static let pagesBeforeCheckpoint: Int32 = 1000

    private let connection: SQLiteWriteConnection
    private let thread: NIOThreadPool
    private let state = Mutex<(running: Bool, closed: Bool)>((false, false))

    private init(connection: SQLiteWriteConnection, thread: NIOThreadPool) {
        self.connection = connection
        self.thread = thread
    }

    /// Opens the checkpoint connection to the database at `path` and starts its thread.
    static func open(path: String) async throws -> SQLiteCheckpointer {
        let connection = try await SQLiteWriteConnection.open(path: path)
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        return SQLiteCheckpointer(connection: connection, thread: thread)
    }

    /// Starts a checkpoint unless one is running or the checkpointer is closed.
    func request() {
        let start = state.withLock { state in
            guard !state.running, !state.closed else { return false }
            state.running = true
            return true
        }
        guard start else { return }
        thread.submit { work in
            // Busy (another process is checkpointing) or failed: the next commit asks again.
            if case .active = work {
                _ = try? self.connection.query("PRAGMA wal_checkpoint(PASSIVE)")
            }
            self.state.withLock { $0.running = false }
        }
    }

    /// Lets a running checkpoint finish, then stops the thread and closes the connection.
    func close() async throws {
        state.withLock { $0.closed = true }
        try await thread.shutdownGracefully()
        try await connection.close()
    }
}
