import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A program run with `posix_spawn` and reaped with `waitpid`, for the tests. Foundation's
/// `Process` learns of a child's exit through a socket that any other child started at the same
/// moment inherits and keeps open (a PostgreSQL server lives for the whole run), so it can miss
/// the exit for good; here the child gets none of the test process's other descriptors.
public struct ChildProcess: Sendable {
    /// The child's process id.
    public let pid: pid_t

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
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return status }
            if result == -1, errno != EINTR { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECHILD) }
            try await Task.sleep(for: .milliseconds(10))
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
