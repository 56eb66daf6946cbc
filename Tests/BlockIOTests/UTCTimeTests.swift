import BlockIO
import Foundation
import Testing
import _TestSupport

@Suite struct UTCTimeTests {
    /// Every value is checked against GNU date's own calendar arithmetic.
    static let samples: [Int64] = [
        0, 59, 86_399, 86_400, 951_782_400, 1_709_164_800, 1_796_194_625, 4_294_967_295 + 946_684_800,
        -1, -86_400, -2_208_988_800, 253_402_300_799,
    ]

    @Test(arguments: samples)
    func iso8601MatchesDate(seconds: Int64) throws {
        let expected = try ExternalTool.run(["date", "-u", "-d", "@\(seconds)", "+%Y-%m-%dT%H:%M:%SZ"]).output
        #expect(UTCTime.iso8601(seconds) == expected.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func vhdTimestampsPrintTheirUnixTime() {
        #expect(VHDTimestamp(secondsSince2000: 0).description == "2000-01-01T00:00:00Z")
        #expect(VHDTimestamp(secondsSince2000: UInt32.max).description == "2136-02-07T06:28:15Z")
    }
}
