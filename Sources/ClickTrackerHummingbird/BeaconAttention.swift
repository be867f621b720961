import ClickTracker

/// Reads the attention fields of a beacon: `q` (report number), `a` (active milliseconds),
/// `s` (scroll percent), `r` (end reached, 0 or 1), `w` (automation, 0 or 1).
enum BeaconAttention {
    /// A field is missing or out of range; the message names it.
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    /// The attention a beacon reports; `nil` when it carries none and none is `required`.
    static func parse(_ form: FormFields, required: Bool) throws(Invalid) -> Attention? {
        guard required || form["q"] != nil || form["w"] != nil else { return nil }
        func number(_ name: String, _ range: ClosedRange<Int>, _ meaning: String) throws(Invalid) -> Int {
            guard let text = form[name], text.utf8.count <= 12, let value = Int(text), range.contains(value) else {
                throw Invalid(description: "\(name) must be \(meaning) (\(range.lowerBound)–\(range.upperBound))")
            }
            return value
        }
        return Attention(
            sequence: try number("q", 0...1_000_000_000, "the report number"),
            activeMilliseconds: try number("a", 0...1_000_000_000, "the active time in milliseconds"),
            scrollPercent: try number("s", 0...100, "the scroll depth in percent"),
            reachedEnd: try number("r", 0...1, "1 when the end was reached, else 0") == 1,
            automated: try number("w", 0...1, "1 when automation was detected, else 0") == 1
        )
    }
}
