/// What the page reported about how attentively it was read, as of one report.
///
/// The values are cumulative for the render, so a lost report is made good by the next one. The
/// store never takes them as they are: active time is clamped to the time the server has seen
/// pass (see ``ClickStorage/record(_:)``).
public struct Attention: Sendable, Hashable, Codable {
    /// The page's report number; a report with a number not above the last one changes nothing.
    public var sequence: Int
    /// Milliseconds the page was visible, focused and recently used.
    public var activeMilliseconds: Int
    /// The furthest the reader scrolled, in percent of the page's height (0–100).
    public var scrollPercent: Int
    /// Whether the end of the document was on screen while the reader was active.
    public var reachedEnd: Bool
    /// Whether the browser showed signs of being driven by automation (`navigator.webdriver`).
    public var automated: Bool

    /// Creates a report's attention values; out-of-range values are brought into range.
    public init(sequence: Int, activeMilliseconds: Int, scrollPercent: Int, reachedEnd: Bool, automated: Bool) {
        self.sequence = max(0, sequence)
        self.activeMilliseconds = max(0, activeMilliseconds)
        self.scrollPercent = min(100, max(0, scrollPercent))
        self.reachedEnd = reachedEnd
        self.automated = automated
    }

    /// No attention yet: what a view starts with.
    public static let none = Attention(sequence: 0, activeMilliseconds: 0, scrollPercent: 0, reachedEnd: false, automated: false)

    enum CodingKeys: String, CodingKey {
        case sequence = "q"
        case activeMilliseconds = "a"
        case scrollPercent = "s"
        case reachedEnd = "r"
        case automated = "w"
    }
}
