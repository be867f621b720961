import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Clients that open connections and send a request head one byte a second without ever
/// finishing it (a slowloris attack), on their own thread, until stopped or for at most two
/// minutes. A connection the server closes is opened again at once, as an attacker would.
public final class SlowClients: Sendable {
    private struct State {
        var stopped = false
        var bytesSent = 0
        var closedByServer = 0
    }

    private let port: Int
    private let count: Int
    private let state = Mutex(State())
    private let finished = Mutex(false)

    /// - Parameters:
    ///   - port: The server's port on 127.0.0.1.
    ///   - count: How many connections to hold.
    public init(port: Int, count: Int) {
        self.port = port
        self.count = count
    }

    /// Bytes sent so far, over all connections.
    public var bytesSent: Int { state.withLock { $0.bytesSent } }
    /// Connections the server has closed.
    public var closedByServer: Int { state.withLock { $0.closedByServer } }

    /// Starts sending, first raising this process's open-file limit as far as it may go (the
    /// connections need a descriptor each).
    public func start() {
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        Thread.detachNewThread { self.run() }
    }

    /// Stops sending and closes every connection; returns once the thread has ended.
    public func stop() async {
        state.withLock { $0.stopped = true }
        while !finished.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(50)) }
    }

    private func run() {
        let head = Array("GET /papers/budget.html HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ".utf8)
        let port = self.port
        func connected() -> Int32 {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { return -1 }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            return descriptor
        }
        var sockets: [(descriptor: Int32, sent: Int)] = (0..<count).map { _ in (connected(), 0) }
        let deadline = Date().addingTimeInterval(120)
        while !state.withLock({ $0.stopped }), Date() < deadline {
            var sent = 0
            var closed = 0
            for index in sockets.indices {
                var probe: UInt8 = 0
                if sockets[index].descriptor < 0 || recv(sockets[index].descriptor, &probe, 1, Int32(MSG_DONTWAIT)) == 0 {
                    if sockets[index].descriptor >= 0 {
                        close(sockets[index].descriptor)
                        closed += 1
                    }
                    sockets[index] = (connected(), 0)
                    continue
                }
                var byte = sockets[index].sent < head.count ? head[sockets[index].sent] : UInt8(ascii: "a")
                let result = send(sockets[index].descriptor, &byte, 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                if result == 1 {
                    sockets[index].sent += 1
                    sent += 1
                } else if errno == EPIPE || errno == ECONNRESET {
                    close(sockets[index].descriptor)
                    sockets[index] = (connected(), 0)
                    closed += 1
                }
            }
            state.withLock {
                $0.bytesSent += sent
                $0.closedByServer += closed
            }
            Thread.sleep(forTimeInterval: 1)
        }
        for socket in sockets where socket.descriptor >= 0 { close(socket.descriptor) }
        finished.withLock { $0 = true }
    }
}
