import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket bound to 127.0.0.1 on a port the kernel picks; listening if asked.
private func loopbackSocket(listening: Bool) throws -> (descriptor: Int32, port: Int) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
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

/// Sends `request` as raw bytes to 127.0.0.1:`port` and returns the response's status line and
/// headers, or what came back before the server closed the connection or `timeout` seconds passed
/// (for requests HTTP clients will not send). The blocking socket calls run on a thread of their
/// own, never on the concurrency pool an in-process server needs to answer.
public func rawHTTPExchange(port: Int, _ request: String, timeout: Int = 5) async throws -> String {
    try await rawHTTPConnection(port: port, request, timeout: timeout, untilClosed: false).reply
}

/// Sends `request` as raw bytes and reads everything until the server closes the connection or
/// `timeout` seconds pass without a byte; `closed` tells which.
public func rawHTTPConnection(port: Int, _ request: String, timeout: Int) async throws -> (reply: String, closed: Bool) {
    try await rawHTTPConnection(port: port, request, timeout: timeout, untilClosed: true)
}

private func rawHTTPConnection(port: Int, _ request: String, timeout: Int, untilClosed: Bool) async throws -> (reply: String, closed: Bool) {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try blockingHTTPExchange(port: port, request, timeout: timeout, untilClosed: untilClosed) })
        }
    }
}

private func blockingHTTPExchange(port: Int, _ request: String, timeout: Int, untilClosed: Bool) throws -> (reply: String, closed: Bool) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    guard connected else { throw POSIXError(.ECONNREFUSED) }
    var limit = timeval(tv_sec: timeout, tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    let bytes = Array(request.utf8)
    _ = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress!, $0.count, 0) }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    var closed = false
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
        // Another test's child process ending (SIGCHLD) interrupts the wait; it goes on.
        if count < 0, errno == EINTR { continue }
        if count <= 0 {
            closed = count == 0 || errno == ECONNRESET
            break
        }
        received += buffer[0..<count]
        if !untilClosed, received.count >= 4, String(decoding: received, as: UTF8.self).contains("\r\n\r\n") { break }
    }
    return (String(decoding: received, as: UTF8.self), closed)
}
