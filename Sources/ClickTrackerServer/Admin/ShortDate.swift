import Foundation

/// Writes "1 Dec 09:14" in a time zone, as `DateFormatter` does with `d MMM HH:mm` in British
/// English, but directly: a request's page shows thousands of times, and a formatter takes
/// microseconds for each.
struct ShortDate {
    private let timeZone: TimeZone

    /// "Jan" … "Dec" as British English abbreviates them (made once: a formatter is slow to make).
    private static let months: [String] = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        return formatter.shortMonthSymbols
    }()

    /// Times in UTC, as the tables of the Tracking and reads pages show them (with "UTC" after).
    static let utc = ShortDate(timeZone: .gmt)

    /// A formatter for times shown in `timeZone`.
    init(timeZone: TimeZone) {
        self.timeZone = timeZone
    }

    /// The date, e.g. "1 Dec 09:14".
    func string(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down)) + time_t(timeZone.secondsFromGMT(for: date))
        var parts = tm()
        gmtime_r(&time, &parts)
        let month = Self.months.indices.contains(Int(parts.tm_mon)) ? Self.months[Int(parts.tm_mon)] : ""
        return "\(parts.tm_mday) \(month) \(Self.twoDigits(parts.tm_hour)):\(Self.twoDigits(parts.tm_min))"
    }

    private static func twoDigits(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
