import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Sends mail with the system's `sendmail` command (Debian's `msmtp` is one): the message goes
/// to its standard input, recipients are read from the headers (`-t`), and exit code 0 means the
/// message was accepted.
struct SendmailTransport: MailTransport {
    /// The command and its arguments, such as `["/usr/sbin/sendmail", "-t", "-i"]`.
    let command: [String]
    /// A folder for the message while the command reads it.
    let temporaryDirectory: String

    /// The program's name only: its arguments may hold a password.
    var summary: String { "with the server's mail program (\(URL(fileURLWithPath: command[0]).lastPathComponent))" }

    func send(_ message: MailMessage) async throws {
        let id = UUID().uuidString
        let input = "\(temporaryDirectory)/clicktracker-mail-\(id).eml"
        let output = "\(temporaryDirectory)/clicktracker-mail-\(id).out"
        defer {
            unlink(input)
            unlink(output)
        }
        guard FileManager.default.createFile(atPath: input, contents: Data(message.rendered().utf8), attributes: [.posixPermissions: 0o600])
        else { throw MailError(description: "could not write the message to \(temporaryDirectory)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The command gets none of the server's connections or files.
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
        var argv = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, command[0], &actions, nil, &argv, environ)
        guard spawned == 0 else {
            throw MailError(description: "could not run \(command[0]): \(String(cString: strerror(spawned)))")
        }
        // Polled, so no thread waits; a command that hangs for a minute, or outlives a cancelled
        // send, is stopped and reaped.
        var status: Int32 = 0
        let started = ContinuousClock.now
        func stop() {
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        }
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped == -1 {
                if errno == EINTR { continue }
                throw MailError(
                    description: "lost track of \(command[0]) (\(String(cString: strerror(errno)))); the mail may or may not have gone out"
                )
            }
            if ContinuousClock.now - started > .seconds(60) {
                stop()
                throw MailError(description: "\(command[0]) did not finish within 60 s")
            }
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                stop()
                throw error
            }
        }
        let said = (try? String(contentsOfFile: output, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            let ending = status & 0x7f == 0 ? "exited with code \((status >> 8) & 0xff)" : "was stopped by signal \(status & 0x7f)"
            throw MailError(description: "\(command[0]) \(ending)" + (said.isEmpty ? "" : ": \(said.prefix(300))"))
        }
    }
}
