/// The `<script>` tag injected into a tracked page.
public struct TrackingSnippet: Sendable {
    /// Where the collector routes are mounted, e.g. `/_clicktracker`.
    public let collectorPath: String

    /// Creates a snippet renderer.
    /// - Parameter collectorPath: The path prefix of the collector routes.
    public init(collectorPath: String) {
        self.collectorPath = collectorPath
    }

    /// The URL of the tracking script, versioned by its content.
    public var scriptURL: String { "\(collectorPath)/script.js?v=\(TrackingScript.version)" }

    /// The URL the script posts beacons to.
    public var beaconURL: String { "\(collectorPath)/beacon" }

    /// The tag for one render.
    /// - Parameters:
    ///   - token: The signed view token of this render.
    ///   - nonce: The page's Content-Security-Policy nonce, if it has one.
    public func html(token: String, nonce: String? = nil) -> String {
        var tag = "<script src=\"\(HTML.escape(scriptURL))\" data-token=\"\(HTML.escape(token))\""
        tag += " data-endpoint=\"\(HTML.escape(beaconURL))\""
        if let nonce { tag += " nonce=\"\(HTML.escape(nonce))\"" }
        tag += " async></script>"
        return tag
    }
}
