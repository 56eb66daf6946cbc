/// Seconds since the Unix epoch written as ISO 8601 in UTC (`2026-12-02T06:57:05Z`), without a calendar library.
public enum UTCTime {
    /// `seconds` since 1970-01-01 00:00:00 UTC as `YYYY-MM-DDTHH:MM:SSZ`; years before 1 AD get a leading `-`.
    public static func iso8601(_ seconds: Int64) -> String {
        // Civil date from days since 1970 (Howard Hinnant's civil_from_days).
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        func four(_ value: Int64) -> String {
            String(repeating: "0", count: max(0, 4 - String(value).count)) + String(value)
        }
        let yearText = year < 0 ? "-" + four(-year) : four(year)
        return
            "\(yearText)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60))Z"
    }
}
