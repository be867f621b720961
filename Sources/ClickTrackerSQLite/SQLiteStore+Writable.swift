import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension SQLiteStore {
    /// Refuses a database file that could not be written or created, before anything is made:
    /// SQLite needs to write the file and, for its journal, the folder it is in. Checked as the
    /// user running the process, so it holds for root too (who may write almost anything, but not
    /// below a file or on a read-only file system).
    /// - Parameter path: The database file.
    /// - Throws: ``OpenError/cannotWrite(path:reason:)`` saying what is in the way.
    public static func checkWritable(path: String) throws(OpenError) {
        let file = URL(fileURLWithPath: path).standardized
        let folder = file.deletingLastPathComponent().path
        func refuse(_ reason: String) -> OpenError { .cannotWrite(path: file.path, reason: reason) }
        var info = stat()
        if stat(file.path, &info) == 0 {
            guard !Self.isFolder(info) else { throw refuse("it is a folder, not a file") }
            guard access(file.path, W_OK) == 0 else { throw refuse(reason(errno, "the file")) }
        }
        guard stat(folder, &info) == 0 else {
            switch errno {
            case ENOENT: throw refuse("the folder \(folder) does not exist (create it first)")
            case ENOTDIR: throw refuse("part of \(folder) is a file, not a folder")
            case let code: throw refuse(reason(code, "the folder \(folder)"))
            }
        }
        guard Self.isFolder(info) else { throw refuse("\(folder) is a file, not a folder") }
        guard access(folder, W_OK) == 0 else { throw refuse(reason(errno, "the folder \(folder)")) }
    }

    private static func isFolder(_ info: stat) -> Bool {
        (info.st_mode & mode_t(S_IFMT)) == mode_t(S_IFDIR)
    }

    /// Why `what` cannot be written, from `access`'s errno.
    private static func reason(_ code: Int32, _ what: String) -> String {
        switch code {
        case EACCES, EPERM: "permission denied (let the user running ClickTracker write \(what))"
        case EROFS: "\(what) is on a read-only file system"
        default: String(cString: strerror(code))
        }
    }
}
