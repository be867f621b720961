import NIOCore
import NIOPosix

/// Finds out, before the server makes any file, whether it could listen where it is told to: a
/// port already in use must not leave a new database, key file or spool behind.
enum ListeningCheck {
    /// Binds `host`:`port` as the server will (with `SO_REUSEADDR`) and lets it go at once; does
    /// nothing for port 0, which always finds a free port.
    /// - Throws: The bind's error, such as an `IOError` with `EADDRINUSE` or `EACCES`.
    static func check(host: String, port: Int) async throws {
        guard port != 0 else { return }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port)
            .get()
        try await channel.close()
    }
}
