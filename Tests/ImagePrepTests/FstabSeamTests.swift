import Foundation
import Testing
import VHDEditKit
import _TestSupport

/// What the product does follows GuestConfig's fstab reading: an fstab that names the root by a label with a
/// space (`LABEL=my\040root`, as fstab(5) writes it) resolves to the partition whose label blkid reads as
/// `my root`. Inspect used to read the field raw and report the root as not found.
@Suite struct FstabSeamTests {
    @Test func anEscapedLabelResolvesToItsPartition() throws {
        let dir = try TemporaryDirectory()
        let tree = dir.file("tree")
        try Fixtures.writeTree(
            [
                "/etc/fstab": "LABEL=my\\040root / ext4 defaults 0 1\n/swap\\040file none swap sw 0 0\n",
                "/etc/os-release": "ID=debian\nVERSION_ID=12\n",
            ], under: tree)
        let fs = dir.file("root.ext4")
        try Fixtures.makeFilesystem(at: fs, sizeMiB: 8, tree: tree, extraOptions: ["-L", "my root"])
        let disk = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "10M", disk])
        try ExternalTool.check(["sh", "-c", "echo 'start=2048, type=83' | sfdisk -q \"$0\"", disk])
        try ExternalTool.check(["dd", "if=\(fs)", "of=\(disk)", "bs=1M", "seek=1", "conv=notrunc", "status=none"])
        let label = try ExternalTool.check(["blkid", "-p", "-O", "1048576", "-s", "LABEL", "-o", "value", disk])
        #expect(label.output == "my root\n")

        let report = try ImagePreparation.inspect(disk)
        let root = try #require(report.guest.fstab.first)
        #expect(root.spec == "LABEL=my\\040root")
        #expect(root.mountPoint == "/" && root.naming == "label")
        #expect(root.resolves == true && root.partition == 1)
        let swap = try #require(report.guest.fstab.last)
        #expect(swap.mountPoint == "none" && swap.type == "swap" && swap.naming == "file")
        #expect(report.guest.distribution.family == .debian)
    }
}
