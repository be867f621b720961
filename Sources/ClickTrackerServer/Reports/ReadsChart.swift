import Foundation

/// A small chart of how many people had reached a stage over time, one step line per stage, drawn
/// as SVG by the `chart` template from plain numbers (no script, nothing from the data but counts
/// and dates).
struct ReadsChart {
    /// One step line: when each person reached the stage.
    struct Line {
        /// What the line counts, e.g. "opened it".
        var label: String
        var dates: [Date]
    }

    /// The plot area inside a 400 × 160 view box (narrow, so that its 14-unit text stays readable
    /// when a phone shrinks the chart).
    static let (left, right, top, bottom) = (40.0, 390.0, 10.0, 118.0)

    /// The template values: each line's points, the deadline's position (if any) and the labels.
    /// - Parameters:
    ///   - lines: The lines, drawn in order (at most three styles).
    ///   - total: The top of the scale: the expected readers, or everyone who opened it.
    ///   - start: The left edge (the request's creation, or the first opening).
    ///   - deadline: The deadline to mark, if any.
    ///   - now: The right edge, unless the deadline is later.
    ///   - timeZone: The zone of the date labels.
    ///   - caption: What the chart shows.
    ///   - description: Its figures in words (also the SVG's title, for screen readers).
    static func values(
        lines: [Line],
        total: Int,
        from start: Date,
        deadline: Date?,
        now: Date,
        timeZone: String,
        caption: String,
        description: String
    ) -> [String: Any] {
        // Without a deadline the chart ends now, and spans at least an hour.
        let start = deadline == nil ? min(start, now.addingTimeInterval(-3600)) : start
        let end = max(deadline ?? now, now, start.addingTimeInterval(3600))
        let span = end.timeIntervalSince(start)
        func x(_ date: Date) -> Double { left + (right - left) * min(1, max(0, date.timeIntervalSince(start) / span)) }
        func y(_ count: Int) -> Double { bottom - (bottom - top) * Double(count) / Double(max(1, total)) }
        let drawn = lines.enumerated().map { index, line -> [String: Any] in
            // One step per whole unit of width: thousands of readers draw a line of a few hundred points.
            var points = [(x(start), y(0))]
            var count = 0
            for date in line.dates.sorted() where date <= now {
                let position = x(date)
                if let last = points.last, position.rounded(.down) == last.0.rounded(.down), last.1 == y(count), points.count > 1 {
                    points.removeLast()
                    points.append((last.0, y(count + 1)))
                } else {
                    points.append((position, y(count)))
                    points.append((position, y(count + 1)))
                }
                count += 1
            }
            points.append((x(min(now, end)), y(count)))
            return [
                "points": points.map { "\(Self.tenths($0.0)),\(Self.tenths($0.1))" }.joined(separator: " "),
                "label": line.label, "style": index,
            ]
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: timeZone) ?? .gmt
        formatter.dateFormat = end.timeIntervalSince(start) < 2 * 86_400 ? "d MMM HH:mm" : "d MMM"
        var values: [String: Any] = [
            "lines": drawn,
            "legend": lines.count > 1,
            "total": total,
            "start": formatter.string(from: start),
            "end": formatter.string(from: end),
            "caption": caption,
            "description": description,
        ]
        if let deadline {
            let position = x(deadline)
            values["deadlineX"] = Self.tenths(position)
            // The label stays inside the box at either edge.
            values["deadlineAnchor"] = position > right - 32 ? "end" : position < left + 32 ? "start" : "middle"
        }
        return values
    }

    /// A coordinate (never negative) with one decimal, e.g. `40.5`, without `String(format:)`.
    static func tenths(_ value: Double) -> String {
        let tenths = Int((max(0, value) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
