/// A VHD timestamp: seconds since 2000-01-01 00:00:00 UTC, stored as a big-endian `UInt32`.
public struct VHDTimestamp: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Seconds between the Unix epoch and the VHD epoch (2000-01-01).
    public static let unixOffset: Int64 = 946_684_800

    /// The raw field value.
    public var secondsSince2000: UInt32

    /// The timestamp of a raw field value.
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
    public var description: String { UTCTime.iso8601(unixSeconds) }
}
