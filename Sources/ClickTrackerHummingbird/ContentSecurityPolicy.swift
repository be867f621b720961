/// Changes a page's Content-Security-Policy just enough for the injected script to load and send
/// its beacons, leaving every other directive and source as it was.
///
/// For each policy (a header may hold several, separated by commas):
/// - the directive that governs `<script src>` (`script-src-elem`, `script-src`, or
///   `default-src` copied into a new `script-src`) gets the render's nonce — or, when it relies on
///   `'unsafe-inline'` without nonces or hashes (where adding a nonce would switch that off and
///   break the page's own inline scripts), the script's exact URL;
/// - the directive that governs beacons (`connect-src`, or `default-src` copied into a new
///   `connect-src`) gets the beacon's exact URL, unless `'self'` or `*` already allows it.
/// `'none'` is replaced rather than added to.
public struct ContentSecurityPolicy: Sendable {
    /// The nonce the script tag carries.
    public let nonce: String
    /// The script's URL without scheme (`host/path`), which CSP matches on the page's own scheme.
    public let scriptSource: String
    /// The beacon's URL without scheme.
    public let beaconSource: String

    /// Creates a rewriter for one render.
    /// - Parameters:
    ///   - nonce: The render's nonce.
    ///   - host: The page's host (and port), from the request.
    ///   - scriptPath: The script's path (no query).
    ///   - beaconPath: The beacon's path.
    public init(nonce: String, host: String, scriptPath: String, beaconPath: String) {
        self.nonce = nonce
        self.scriptSource = host + scriptPath
        self.beaconSource = host + beaconPath
    }

    /// The header value with the script and its beacon allowed.
    public func allowingTracking(_ header: String) -> String {
        header.split(separator: ",", omittingEmptySubsequences: false)
            .map { rewrite(String($0)) }
            .joined(separator: ",")
    }

    private struct Directive {
        var name: String
        var sources: [String]

        var text: String { ([name] + sources).joined(separator: " ") }
    }

    private func rewrite(_ policy: String) -> String {
        var directives: [Directive] = policy.split(separator: ";").compactMap { part in
            let words = part.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let name = words.first?.lowercased() else { return nil }
            return Directive(name: name, sources: Array(words.dropFirst()))
        }
        func index(_ name: String) -> Int? { directives.firstIndex { $0.name == name } }
        let defaults = index("default-src").map { directives[$0].sources }

        var scriptDirectives = ["script-src-elem", "script-src"].compactMap(index)
        if scriptDirectives.isEmpty, let defaults {
            directives.append(Directive(name: "script-src", sources: defaults))
            scriptDirectives = [directives.count - 1]
        }
        for position in scriptDirectives {
            directives[position].sources = allowingScript(directives[position].sources)
        }

        if let position = index("connect-src") {
            directives[position].sources = allowingBeacon(directives[position].sources)
        } else if let defaults {
            directives.append(Directive(name: "connect-src", sources: allowingBeacon(defaults)))
        }
        let leading = policy.prefix { $0 == " " }
        return leading + directives.map(\.text).joined(separator: "; ")
    }

    private func allowingScript(_ sources: [String]) -> [String] {
        let lowered = sources.map { $0.lowercased() }
        if lowered == ["'none'"] { return ["'nonce-\(nonce)'"] }
        let hasNonceOrHash = lowered.contains { $0.hasPrefix("'nonce-") || $0.hasPrefix("'sha") }
        if lowered.contains("'unsafe-inline'"), !hasNonceOrHash {
            return sources + [scriptSource]
        }
        return sources + ["'nonce-\(nonce)'"]
    }

    private func allowingBeacon(_ sources: [String]) -> [String] {
        let lowered = sources.map { $0.lowercased() }
        if lowered == ["'none'"] { return [beaconSource] }
        if lowered.contains("'self'") || lowered.contains("*") { return sources }
        return sources + [beaconSource]
    }
}
