/// A VHD timestamp: seconds since 2000-01-01 00:00:00 UTC, stored as a big-endian `UInt32`.
public struct VHDTimestamp: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Seconds between the Unix epoch and the VHD epoch (2000-01-01).
    public static let unixOffset: Int64 = 946_684_800

    /// The raw field value.
    public var secondsSince2000: UInt32

    public init(secondsSince2000: UInt32) { self.secondsSince2000 = secondsSince2000 }

    /// The timestamp for `unixSeconds`, clamped into the field's range.
    public init(unixSeconds: Int64) {
        let value = unixSeconds - Self.unixOffset
        secondsSince2000 = UInt32(clamping: value)
    }

    /// The current time.
    public static func now() -> VHDTimestamp {
        VHDTimestamp(unixSeconds: Int64(HostClock.unixSeconds()))
    }

    /// Seconds since the Unix epoch.
    public var unixSeconds: Int64 { Int64(secondsSince2000) + Self.unixOffset }

    /// ISO 8601 in UTC, e.g. `2026-12-02T06:57:05Z`.
    public var description: String {
        let seconds = unixSeconds
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        // Civil-from-days (H. Hinnant), valid for the whole UInt32 range of the field.
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):"
            + "\(two(secondOfDay % 60))Z"
    }
}
