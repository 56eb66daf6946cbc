import Foundation
import ImagePrep
import Testing
import _TestSupport

/// Batch `check --json` lines carry each image's verdict counts and failing checks.
@Suite struct BatchVerdictTests {
    @Test func batchCheckLinesCarryCountsAndFailures() throws {
        let work = try TemporaryDirectory()
        let centos = try TestImageFarm.copy("centos6-dynamic.vhd", to: work)
        let garbage = try TestImageFarm.copy("broken-garbage.vhd", to: work)
        let run = try VHDEditBinary.run(["check", centos, garbage, "--json", "--jobs", "2"])
        #expect(run.status == 1)
        var lines: [String: [String: Any]] = [:]
        for line in run.output.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let image = object["image"] as? String { lines[image] = object }
        }
        let checked = try #require(lines[centos])
        let verdicts = try #require(checked["verdicts"] as? [String: Int])
        let failing = try #require(checked["failing"] as? [[String: Any]])
        let report = try ImagePreparation.check(centos)
        #expect(
            verdicts == [
                "pass": report.results.filter { $0.verdict == .pass }.count,
                "warn": report.results.filter { $0.verdict == .warn }.count,
                "fail": report.failures.count,
            ])
        #expect(failing.compactMap { $0["id"] as? String } == report.failures.map(\.id))
        #expect(
            failing.contains {
                $0["id"] as? String == "vhd.fixed" && ($0["evidence"] as? String)?.contains("vhd-dynamic") == true
            })
        let summary = try #require(checked["summary"] as? String)
        #expect(summary.hasPrefix("not ready: \(report.failures.count) fail") && summary.contains("vhd.fixed"))
        // An image that cannot be opened has no verdicts, and says why.
        let broken = try #require(lines[garbage])
        #expect(broken["verdicts"] == nil && (broken["summary"] as? String)?.isEmpty == false)
    }
}
