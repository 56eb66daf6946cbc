import HostSystem
import Testing
import _TestSupport

@Suite struct DecimalTextTests {
    /// `DecimalText.fixed` prints what coreutils' `printf %.Nf` prints for the same value, ties (1.5, 2.5, 0.125)
    /// included, and `general` what `printf %g` prints for integers and short fractions.
    @Test func agreesWithPrintf() throws {
        let cases: [(Double, Int)] = [
            (0, 2), (0.004, 2), (1.5, 0), (2.5, 0), (0.125, 2), (12.345678, 2), (-3.14159, 1), (1234.5, 1),
            (99.999, 2), (1_000_000.0 / 3, 2), (42, 0),
        ]
        for (value, digits) in cases {
            let expected = try ExternalTool.check(["printf", "%.\(digits)f", "\(value)"]).output
            #expect(DecimalText.fixed(value, digits: digits) == expected, "\(value) with \(digits) digits")
        }
        for value in [300.0, 2.5, 0.75, 86400.0] {
            #expect(DecimalText.general(value) == (try ExternalTool.check(["printf", "%g", "\(value)"]).output))
        }
    }
}
