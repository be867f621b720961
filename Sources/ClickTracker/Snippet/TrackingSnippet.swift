/// The markup injected into a tracked page: an end marker (with the acknowledgement button
/// when the section asks for one) and the `<script>` tag.
public struct TrackingSnippet: Sendable {
    /// Where the collector routes are mounted, e.g. `/_clicktracker`.
    public let collectorPath: String
    /// Seconds without input after which time stops counting as active (the script's default when `nil`).
    public let idleSeconds: Int?
    /// Seconds between reports while the reader is active (the script's default when `nil`).
    public let heartbeatSeconds: Int?

    /// Creates a snippet renderer.
    /// - Parameters:
    ///   - collectorPath: The path prefix of the collector routes.
    ///   - idleSeconds: Overrides the script's idle window (30 s).
    ///   - heartbeatSeconds: Overrides the script's heartbeat (15 s).
    public init(collectorPath: String, idleSeconds: Int? = nil, heartbeatSeconds: Int? = nil) {
        self.collectorPath = collectorPath
        self.idleSeconds = idleSeconds
        self.heartbeatSeconds = heartbeatSeconds
    }

    /// The URL of the tracking script, versioned by its content.
    public var scriptURL: String { "\(collectorPath)/script.js?v=\(TrackingScript.version)" }

    /// The URL the script posts beacons to.
    public var beaconURL: String { "\(collectorPath)/beacon" }

    /// The acknowledgement button's look: large, high-contrast, a visible focus ring; once
    /// pressed, pale; its confirmation below it.
    static let acknowledgementStyle =
        ".clicktracker-ack{font:inherit;font-size:1.125em;font-weight:600;padding:.7em 1.4em;margin:2em 0 .4em;border:2px solid #14532d;"
        + "border-radius:.5em;background:#166534;color:#fff;cursor:pointer}.clicktracker-ack:focus-visible{outline:3px solid #b45309;"
        + "outline-offset:2px}.clicktracker-ack:disabled{background:#e7f3ea;color:#14532d;cursor:default}"
        + ".clicktracker-ack+[role=status]{display:block;margin:.2em 0 1em;font-weight:600}"

    /// The label of the acknowledgement button.
    public static let acknowledgementLabel = "I have read this document"

    /// The markup for one render.
    /// - Parameters:
    ///   - token: The signed view token of this render.
    ///   - nonce: The page's Content-Security-Policy nonce, if it has one.
    ///   - acknowledgement: Whether to offer the "I have read this document" button.
    public func html(token: String, nonce: String? = nil, acknowledgement: Bool = false) -> String {
        var html = "<div data-clicktracker-end>"
        if acknowledgement {
            // A large button that stands out from the page, its confirmation on a line of its own;
            // hidden until the script runs: without it the button could not record anything.
            html += "<style\(nonce.map { " nonce=\"\(HTML.escape($0))\"" } ?? "")>\(Self.acknowledgementStyle)</style>"
            html += "<button type=\"button\" class=\"clicktracker-ack\" hidden>\(Self.acknowledgementLabel)</button><span role=\"status\"></span>"
        }
        html += "</div><script src=\"\(HTML.escape(scriptURL))\" data-token=\"\(HTML.escape(token))\""
        html += " data-endpoint=\"\(HTML.escape(beaconURL))\""
        if let idleSeconds { html += " data-idle=\"\(idleSeconds)\"" }
        if let heartbeatSeconds { html += " data-beat=\"\(heartbeatSeconds)\"" }
        if let nonce { html += " nonce=\"\(HTML.escape(nonce))\"" }
        html += " async></script>"
        return html
    }
}
