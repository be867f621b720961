import Foundation
import Synchronization

/// A long export's progress on standard error: one updating line on a terminal, a line for
/// every tenth of the way otherwise.
final class Progress: Sendable {
    private let showing: Bool
    private let terminal = isatty(FileHandle.standardError.fileDescriptor) != 0
    private let lastTenth = Mutex(-1)

    init(showing: Bool) {
        self.showing = showing
    }

    func update(written: Int, count: Int) {
        guard showing, count > 0 else { return }
        let percent = written * 100 / count
        if terminal {
            Self.print("\r\(written) of \(count) rows (\(percent)%)")
        } else if lastTenth.withLock({ tenth in
            defer { tenth = percent / 10 }
            return percent / 10 > tenth
        }) {
            Self.print("\(written) of \(count) rows (\(percent)%)\n")
        }
    }

    func finish() {
        if showing, terminal { Self.print("\n") }
    }

    private static func print(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
