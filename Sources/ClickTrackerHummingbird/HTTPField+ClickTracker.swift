import HTTPTypes

extension HTTPField.Name {
    /// Response header: present (any value) opts the page out of tracking.
    public static let clickTrackerIgnore = HTTPField.Name("ClickTracker-Ignore")!
    /// Response header: a stable document id, so a moved page keeps its history.
    public static let clickTrackerDocument = HTTPField.Name("ClickTracker-Document")!
    /// Response header: the document's version (e.g. its modification time), used instead of
    /// the hash of its text to tell versions apart.
    public static let clickTrackerVersion = HTTPField.Name("ClickTracker-Version")!
    /// Response header: the document's title for reports, percent-encoded UTF-8.
    public static let clickTrackerTitle = HTTPField.Name("ClickTracker-Title")!
    /// Response header: who is reading, set by a trusted upstream (honoured only when the
    /// middleware is told to trust it).
    public static let clickTrackerUser = HTTPField.Name("ClickTracker-User")!
}
