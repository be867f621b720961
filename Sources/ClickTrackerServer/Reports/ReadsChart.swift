import Foundation

/// A small chart of how many people had opened something over time, drawn as SVG by the `chart`
/// template from plain numbers (no script, nothing from the data but counts and dates).
struct ReadsChart {
    /// The plot area inside a 600 × 140 view box.
    static let (left, right, top, bottom) = (40.0, 590.0, 12.0, 110.0)

    /// The template values: the step line's points, the deadline's position (if any) and the labels.
    /// - Parameters:
    ///   - firstViews: When each person first opened it.
    ///   - total: The top of the scale: the expected readers, or everyone who opened it.
    ///   - start: The left edge (the request's creation, or the first opening).
    ///   - deadline: The deadline to mark, if any.
    ///   - now: The right edge, unless the deadline is later.
    ///   - timeZone: The zone of the date labels.
    ///   - subject: Who is counted, e.g. "expected readers" or "people".
    static func values(
        firstViews: [Date],
        total: Int,
        from start: Date,
        deadline: Date?,
        now: Date,
        timeZone: String,
        subject: String
    ) -> [String: Any] {
        // Without a deadline the chart ends now, and spans at least an hour.
        let start = deadline == nil ? min(start, now.addingTimeInterval(-3600)) : start
        let end = max(deadline ?? now, now, start.addingTimeInterval(3600))
        let span = end.timeIntervalSince(start)
        func x(_ date: Date) -> Double { left + (right - left) * min(1, max(0, date.timeIntervalSince(start) / span)) }
        func y(_ count: Int) -> Double { bottom - (bottom - top) * Double(count) / Double(max(1, total)) }
        var points = [(x(start), y(0))]
        var count = 0
        for date in firstViews.sorted() where date <= now {
            points.append((x(date), y(count)))
            count += 1
            points.append((x(date), y(count)))
        }
        points.append((x(min(now, end)), y(count)))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: timeZone) ?? .gmt
        formatter.dateFormat = end.timeIntervalSince(start) < 2 * 86_400 ? "d MMM HH:mm" : "d MMM"
        var values: [String: Any] = [
            "points": points.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " "),
            "total": total,
            "start": formatter.string(from: start),
            "end": formatter.string(from: end),
            "caption": "\(subject.prefix(1).uppercased())\(subject.dropFirst()) who had opened it, over time.",
            "description": "\(count) of \(total) \(subject) had opened it by now\(deadline == nil ? "" : "; the dashed line is the deadline").",
        ]
        if let deadline { values["deadlineX"] = String(format: "%.1f", x(deadline)) }
        return values
    }
}
