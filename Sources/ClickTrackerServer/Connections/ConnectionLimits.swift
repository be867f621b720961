import Foundation

/// How long a client may take and how many may be connected at once, so slow or idle clients
/// can never shut readers out (`limits.*` in the configuration).
public struct ConnectionLimits: Sendable, Equatable {
    /// Seconds from a request's first byte until its head (request line and headers) is complete.
    public var headerTimeout: Double = 10
    /// Seconds from a small body's head until the body is complete; bodies of at most
    /// ``smallBodyBytes`` (beacons, forms) only: uploads proxied to an upstream may take longer.
    public var bodyTimeout: Double = 30
    /// Seconds a connection may wait for its next request (keep-alive), or for its first.
    public var idleTimeout: Double = 60
    /// The most client connections at once; `nil` for what the open-file limit allows.
    public var maximumConnections: Int?

    /// Bodies of at most this many bytes must arrive within ``bodyTimeout``.
    public static let smallBodyBytes = 1 << 20

    /// Creates the defaults.
    public init() {}

    /// The connection limit in force: the configured one, or what the process's open-file
    /// limit leaves after files, the database and (in front of a site) one upstream connection
    /// per client.
    public func connections(proxying: Bool) -> Int {
        if let maximumConnections { return maximumConnections }
        var limit = rlimit()
        let files = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Int(clamping: limit.rlim_cur) : 1024
        let available = max(32, files - 128)
        return min(10_000, proxying ? available / 2 : available)
    }

    /// Checks the values.
    func validate() throws(ConfigurationError) {
        for (name, value) in [("header_timeout", headerTimeout), ("body_timeout", bodyTimeout), ("idle_timeout", idleTimeout)] {
            guard value > 0, value <= 3600 else { throw .invalid("limits.\(name) must be more than 0 and at most 3600 seconds") }
        }
        if let maximumConnections, !(1...1_000_000).contains(maximumConnections) {
            throw .invalid("limits.connections must be 1 to 1000000")
        }
    }
}
