import Foundation
import Testing
import VHDEditKit
import _TestSupport

/// The README's library example, run on a copy of the shipped image and checked with qemu-img, debugfs and e2fsck.
@Suite struct ReadmeExampleTests {
    @Test func libraryExamplePatchesWaagentConfAtomically() throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("disk.vhd")
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("TestImages/centos6-dynamic.vhd").path
        try FileManager.default.copyItem(atPath: shipped, toPath: image)

        // Scoped: the image (and the qemu-compatible lock qemu-img would refuse) is released at the end.
        do {
            let guest = try GuestImage.open(path: image, writable: true)
            let conf = try GuestPath("/etc/waagent.conf")
            let text = String(decoding: try guest.filesystem.readFile(conf), as: UTF8.self)
            var waagent = WaagentConfiguration(text, path: "/etc/waagent.conf")
            _ = try waagent.set("ResourceDisk.Format", to: "n")
            try guest.filesystem.writeFile(conf, contents: Array(waagent.text.utf8))
            try guest.commit()
            try guest.close()
        }

        let raw = dir.file("disk.raw")
        try ExternalTool.check(["qemu-img", "convert", "-f", "vpc", "-O", "raw", image, raw])
        let offset: UInt64 = 1 << 20  // partition 1 starts at sector 2048
        let fs = dir.file("root.ext4")
        try ExternalTool.check(["dd", "if=\(raw)", "of=\(fs)", "bs=1M", "skip=1", "status=none"])
        let written = try Fixtures.debugfs(fs, "cat /etc/waagent.conf")
        #expect(written.contains("ResourceDisk.Format=n"))
        #expect(!written.contains("ResourceDisk.Format=y"))
        #expect(try Fixtures.fsck(raw, offset: offset).status == 0)
    }
}
