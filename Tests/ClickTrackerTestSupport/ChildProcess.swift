import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A program run with `posix_spawn` and reaped with `waitpid`, for the tests. Foundation's
/// `Process` learns of a child's exit through a socket that any other child started at the same
/// moment inherits and keeps open (a PostgreSQL server lives for the whole run), so it can miss
/// the exit for good; here the child gets none of the test process's other descriptors. (Its
/// `run()` also crashed copying descriptor numbers while another test held over 1,024 open.)
public final class ChildProcess: Sendable {
    /// How a child ended.
    public enum Ending: Sendable, Equatable {
        /// It exited with this code.
        case exited(Int32)
        /// A signal ended it.
        case signalled(Int32)
    }

    /// The child's process id.
    public let pid: pid_t
    /// Its `waitpid` status, once it has been reaped.
    private let status = Mutex<Int32?>(nil)

    /// Starts `executable`.
    /// - Parameters:
    ///   - executable: The program's path.
    ///   - arguments: Its arguments.
    ///   - environment: Its whole environment.
    ///   - directory: Its working directory.
    ///   - input: A file for its standard input.
    ///   - output: A file for its standard output and error (created or truncated).
    public init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String? = nil,
        input: String = "/dev/null",
        output: String
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        SpawnActions.closeFrom(&actions, 3)
        if let directory { SpawnActions.changeDirectory(&actions, directory) }
        var argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, &argv, &envp)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
        self.pid = pid
    }

    /// Waits for the child to exit (polling, so no thread is blocked) and returns its
    /// `waitpid` status: the exit code is `status >> 8` when it exited normally.
    public func exitStatus() async throws -> Int32 {
        while true {
            if let status = try poll() { return status }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Whether the child is still running.
    public var isRunning: Bool { (try? poll()) == nil }

    /// How the child ended; `nil` while it runs.
    public var ending: Ending? {
        guard let status = try? poll() else { return nil }
        return status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
    }

    /// The child's `waitpid` status if it has exited (reaping it once), else `nil`.
    private func poll() throws -> Int32? {
        try status.withLock { status in
            if let status { return status }
            var reaped: Int32 = 0
            let result = waitpid(pid, &reaped, WNOHANG)
            if result == pid { status = reaped }
            if result == -1, errno != EINTR { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECHILD) }
            return status
        }
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` and `…_addchdir_np` (2.34 and 2.29), which
/// Swift's Glibc module does not show; looked up at run time.
public enum SpawnActions {
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// Closes every descriptor from `lowest` on in the child.
    public static func closeFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, lowest)
    }

    /// Makes the child start in `directory`.
    public static func changeDirectory(_ actions: inout posix_spawn_file_actions_t, _ directory: String) {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else { return }
        _ = directory.withCString { unsafeBitCast(symbol, to: ChangeDirectory.self)(&actions, $0) }
    }
}
