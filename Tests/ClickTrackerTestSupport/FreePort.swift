import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket bound to 127.0.0.1 on a port the kernel picks; listening if asked.
private func loopbackSocket(listening: Bool) throws -> (descriptor: Int32, port: Int) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ready = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
            bind(descriptor, sockaddrPointer, length) == 0 && (!listening || listen(descriptor, 16) == 0)
                && getsockname(descriptor, sockaddrPointer, &length) == 0
        }
    }
    guard ready else {
        _ = close(descriptor)
        throw POSIXError(.EADDRINUSE)
    }
    return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
}

/// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picked it for port 0).
public func freePort() throws -> Int {
    let (descriptor, port) = try loopbackSocket(listening: false)
    _ = close(descriptor)
    return port
}

/// A socket that accepts TCP connections into its backlog but never answers: a resource served
/// from it never finishes loading, so a page that includes one never fires `load`.
public final class SilentServer: Sendable {
    /// The port it listens on.
    public let port: Int
    private let descriptor: Int32

    public init() throws {
        (descriptor, port) = try loopbackSocket(listening: true)
    }

    /// Stops listening.
    public func close() {
        _ = Glibc.close(descriptor)
    }
}
