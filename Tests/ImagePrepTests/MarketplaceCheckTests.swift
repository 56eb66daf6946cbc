import Foundation
import ImagePrep
import Testing
import _TestSupport

/// `check --target marketplace` and `--data-disk`: the certification size rules, at their boundaries and on
/// disks qemu-img made.
@Suite struct MarketplaceCheckTests {
    static func facts(_ size: UInt64, format: String = "vhd-fixed") -> DiskFacts {
        DiskFacts(
            format: format, virtualSize: size, fileLength: size + 512, partitionTable: "none", partitions: [],
            rootPartition: nil)
    }
    static let gib: UInt64 = 1 << 30

    @Test func osDiskSizeBounds() {
        func verdict(_ size: UInt64) -> CheckResult.Verdict? {
            ReadinessChecker.marketplaceOSDiskResults(Self.facts(size)).first?.verdict
        }
        #expect(verdict(30 * Self.gib - (1 << 20)) == .fail)
        #expect(verdict(30 * Self.gib) == .pass)
        #expect(verdict(50 * Self.gib) == .pass)
        #expect(verdict(50 * Self.gib + (1 << 20)) == .warn)
        #expect(verdict(1023 * Self.gib) == .warn)
        #expect(verdict(1023 * Self.gib + (1 << 20)) == .fail)
    }

    @Test func dataDiskRules() {
        let good = ReadinessChecker.marketplaceDataDiskResults(Self.facts(Self.gib), path: "d.vhd")
        #expect(good.map(\.verdict) == [.pass, .pass, .pass, .pass])
        let bad = ReadinessChecker.marketplaceDataDiskResults(
            Self.facts(Self.gib / 2 + 512, format: "vhd-dynamic"), path: "d.vhd")
        #expect(
            Set(bad.filter { $0.verdict == .fail }.map(\.id)) == [
                "data-disk.fixed", "data-disk.size-mib", "data-disk.size-bounds",
            ])
    }

    @Test func cliTargetMarketplaceWithDataDisks() throws {
        let work = try TemporaryDirectory()
        let os = try fixedCopy(try TestImageFarm.copy("centos6-dynamic.vhd", to: work), work: work)
        let fixedData = work.file("data-fixed.vhd"), dynamicData = work.file("data-dynamic.vhd")
        try ExternalTool.check([
            "qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=fixed,force_size=on", fixedData, "1G",
        ])
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "vpc", dynamicData, "1G"])
        let azure = try VHDEditBinary.run(["check", os, "--json"])
        #expect(!azure.output.contains("marketplace.") && !azure.output.contains("data-disk."))
        let result = try VHDEditBinary.run([
            "check", os, "--target", "marketplace", "--data-disk", fixedData, "--data-disk", dynamicData, "--json",
        ])
        #expect(result.status == 1)
        let report = try JSONDecoder().decode(ReadinessReport.self, from: result.stdout)
        let size = try #require(report.results.first { $0.id == "marketplace.os-disk-size" })
        #expect(size.verdict == .fail && size.evidence.contains("0.02 GiB"))
        #expect(report.results.filter { $0.path == fixedData }.allSatisfy { $0.verdict == .pass })
        #expect(report.results.filter { $0.path == fixedData }.count == 4)
        #expect(report.results.first { $0.path == dynamicData && $0.id == "data-disk.fixed" }?.verdict == .fail)
        let usage = try VHDEditBinary.run(["check", os, "--target", "gcp"])
        #expect(usage.status == 64 && usage.stderr.contains("--target is azure or marketplace"))
    }
}
