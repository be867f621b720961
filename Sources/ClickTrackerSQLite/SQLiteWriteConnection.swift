import SQLiteNIO
import VaporCSQLite

/// The store's one write connection, on SQLite's C API: a whole transaction runs as one closure
/// on a thread-pool thread, and statements stay prepared from one transaction to the next.
///
/// Its owner lets one closure run at a time (the store's write lock, the checkpointer's flag), so
/// the connection is opened without SQLite's own mutex. Once closed, every call throws.
final class SQLiteWriteConnection: @unchecked Sendable {
    /// An error SQLite returned, with its extended result code.
    struct Failure: Error, CustomStringConvertible {
        var code: Int32
        var message: String

        /// The primary result code (`SQLITE_BUSY`, `SQLITE_FULL`, …).
        var primaryCode: Int32 { code & 0xff }

        /// `true` when the database file cannot be written now (full, locked, read-only, an I/O
        /// error), not that what was written is wrong.
        var meansUnavailable: Bool {
            [
                SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_NOMEM, SQLITE_INTERRUPT,
                SQLITE_NOLFS, SQLITE_PROTOCOL,
            ]
            .contains(primaryCode)
        }

        var description: String { message }
    }

    /// How long SQLite itself waits for another connection's lock before answering busy; the
    /// rest of a wait is a task sleep in ``transaction(_:)``, which holds no thread.
    static let busyTimeoutMilliseconds: Int32 = 50
    /// How long ``transaction(_:)`` waits for another process's write transaction in all.
    static let lockWait = Duration.seconds(10)
    /// Memory the statements kept prepared may hold; when they would hold more, all are finalised
    /// and kept again as used. A statement above an eighth of it (a many-row `INSERT` of a large
    /// batch) is prepared for one use only.
    static let preparedBytesLimit = 4 << 20

    private let handle: OpaquePointer
    private var prepared: [String: OpaquePointer] = [:]
    private var preparedBytes = 0
    private var isClosed = false

    private init(handle: OpaquePointer) {
        self.handle = handle
    }

    /// Opens (creating if needed) the database at `path` for writing.
    static func open(path: String) async throws -> SQLiteWriteConnection {
        try await NIOThreadPool.singleton.runIfActive {
            var handle: OpaquePointer?
            let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
            let code = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
            guard code == SQLITE_OK, let handle else {
                let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open \(path)"
                sqlite_nio_sqlite3_close(handle)
                throw Failure(code: code, message: message)
            }
            sqlite_nio_sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
            return SQLiteWriteConnection(handle: handle)
        }
    }

    /// Leaves checkpoints to `checkpointer` instead of the commit that fills the log (this
    /// replaces SQLite's automatic checkpoint); `checkpointer` must outlive the connection.
    func checkpoint(with checkpointer: SQLiteCheckpointer) async throws {
        try await run { connection in
            let context = Unmanaged.passUnretained(checkpointer).toOpaque()
            _ = sqlite_nio_sqlite3_wal_hook(
                connection.handle,
                { context, _, _, pages in
                    if let context, pages >= SQLiteCheckpointer.pagesBeforeCheckpoint {
                        Unmanaged<SQLiteCheckpointer>.fromOpaque(context).takeUnretainedValue().request()
                    }
                    return SQLITE_OK
                },
                context
            )
        }
    }

    /// Runs `body` on a thread-pool thread, outside any transaction (settings, checks).
    func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteWriteConnection) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive {
            guard !self.isClosed else { throw Failure(code: SQLITE_MISUSE, message: "the database connection is closed") }
            return try body(self)
        }
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT` in one hop to the thread pool, rolling back
    /// if it throws. While another process holds the write lock, waits up to ``lockWait``.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteWriteConnection) throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + Self.lockWait
        var pause = Duration.milliseconds(2)
        while true {
            let attempt: T? = try await run { connection in
                // A transaction left open (its ROLLBACK failed) would refuse every later BEGIN.
                if sqlite_nio_sqlite3_get_autocommit(connection.handle) == 0 {
                    _ = try connection.query("ROLLBACK")
                }
                do {
                    _ = try connection.query("BEGIN IMMEDIATE")
                } catch let failure as Failure where failure.primaryCode == SQLITE_BUSY && ContinuousClock.now < deadline {
                    return nil
                }
                do {
                    let result = try body(connection)
                    _ = try connection.query("COMMIT")
                    return result
                } catch {
                    // A failed statement may already have ended the transaction; nothing to undo then.
                    if sqlite_nio_sqlite3_get_autocommit(connection.handle) == 0 {
                        _ = try? connection.query("ROLLBACK")
                    }
                    throw error
                }
            }
            if let attempt { return attempt }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        }
    }

    /// Runs one SQL statement with `binds` for its `?` placeholders and returns its rows.
    /// - Parameters:
    ///   - sql: One statement; text after it is refused, never silently skipped.
    ///   - binds: A value for each placeholder, in order.
    func query(_ sql: String, _ binds: [SQLiteData] = []) throws -> [SQLiteWrittenRow] {
        let (statement, isKept) = try statement(for: sql)
        defer {
            if isKept {
                sqlite_nio_sqlite3_reset(statement)
                sqlite_nio_sqlite3_clear_bindings(statement)
            } else {
                sqlite_nio_sqlite3_finalize(statement)
            }
        }
        for (offset, value) in binds.enumerated() {
            try check(bind(value, at: Int32(offset + 1), in: statement))
        }
        var rows: [SQLiteWrittenRow] = []
        var names: [String] = []
        while true {
            let code = sqlite_nio_sqlite3_step(statement)
            if code == SQLITE_DONE { return rows }
            guard code == SQLITE_ROW else { throw failure(code) }
            let count = sqlite_nio_sqlite3_column_count(statement)
            if names.isEmpty {
                names = (0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(statement, $0)) }
            }
            rows.append(SQLiteWrittenRow(names: names, values: (0..<count).map { Self.value(of: statement, at: $0) }))
        }
    }

    /// Finalises every prepared statement and closes the connection; closing again does nothing.
    /// The owner must not start a closure while this runs.
    func close() async throws {
        try await NIOThreadPool.singleton.runIfActive {
            guard !self.isClosed else { return }
            self.isClosed = true
            self.finalizePrepared()
            let code = sqlite_nio_sqlite3_close(self.handle)
            guard code == SQLITE_OK else { throw self.failure(code) }
        }
    }

    private func finalizePrepared() {
        for statement in prepared.values { sqlite_nio_sqlite3_finalize(statement) }
        prepared = [:]
        preparedBytes = 0
    }

    /// The prepared statement for `sql`, and whether it is kept for the next use.
    private func statement(for sql: String) throws -> (OpaquePointer, isKept: Bool) {
        if let statement = prepared[sql] { return (statement, true) }
        var statement: OpaquePointer?
        var rest = true
        let code = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let code = sqlite_nio_sqlite3_prepare_v3(handle, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, &tail)
            rest = tail.map { String(cString: $0).contains { !$0.isWhitespace } } ?? false
            return code
        }
        guard code == SQLITE_OK else { throw failure(code) }
        guard let statement else { throw Failure(code: SQLITE_MISUSE, message: "no SQL statement in the query") }
        guard !rest else {
            sqlite_nio_sqlite3_finalize(statement)
            throw Failure(code: SQLITE_MISUSE, message: "more than one SQL statement in one query")
        }
        let bytes = Int(sqlite_nio_sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_MEMUSED, 0))
        guard bytes <= Self.preparedBytesLimit / 8 else { return (statement, false) }
        if preparedBytes + bytes > Self.preparedBytesLimit { finalizePrepared() }
        prepared[sql] = statement
        preparedBytes += bytes
        return (statement, true)
    }

    private func bind(_ value: SQLiteData, at index: Int32, in statement: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let number):
            sqlite_nio_sqlite3_bind_int64(statement, index, Int64(number))
        case .float(let number):
            sqlite_nio_sqlite3_bind_double(statement, index, number)
        case .text(let text):
            sqlite_nio_sqlite3_bind_text64(statement, index, text, UInt64(text.utf8.count), Self.transient, UInt8(SQLITE_UTF8))
        case .blob(let bytes):
            bytes.withUnsafeReadableBytes {
                sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), Self.transient)
            }
        case .null:
            sqlite_nio_sqlite3_bind_null(statement, index)
        }
    }

    private static func value(of statement: OpaquePointer, at column: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .text("") }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            guard let bytes = sqlite_nio_sqlite3_column_blob(statement, column) else { return .blob(ByteBuffer()) }
            return .blob(ByteBuffer(bytes: UnsafeRawBufferPointer(start: bytes, count: count)))
        default:
            return .null
        }
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw failure(code) }
    }

    /// The connection's error for a call that returned `code` (`code` itself when SQLite recorded none).
    private func failure(_ code: Int32) -> Failure {
        let recorded = sqlite_nio_sqlite3_extended_errcode(handle)
        guard recorded != SQLITE_OK else { return Failure(code: code, message: String(cString: sqlite_nio_sqlite3_errstr(code))) }
        return Failure(code: recorded, message: String(cString: sqlite_nio_sqlite3_errmsg(handle)))
    }

    /// `SQLITE_TRANSIENT`: SQLite copies a bound text or blob before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
