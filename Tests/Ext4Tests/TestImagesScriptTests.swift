import BlockIO
import DiskLayout
import Ext4
import Foundation
import Testing
import _TestSupport

/// `TestImages/make-ext4.sh` builds every variant; each dynamic VHD opens through the partition table, reads,
/// and takes a write that stays fsck-clean — the needs-recovery one too, after its journal is replayed in the same commit.
@Suite struct TestImagesScriptTests {
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("TestImages/make-ext4.sh").path
    }

    @Test func everyVariantFromTheScript() throws {
        let out = try TemporaryDirectory(prefix: "ext4-testimages")
        try ExternalTool.check(["bash", Self.script, out.path])
        for name in ["ext2", "ext3", "ext4-1k", "ext4-inline", "ext4-nocsum"] {
            let path = out.file("\(name)-dynamic.vhd")
            do {
                let image = try openDisk(path, writable: true)
                let root = try RootSelector.select(in: try PartitionedDisk.inspect(image.device))
                let fs = try Ext4FileSystem(device: root.device, writable: true, clock: 1_700_000_100)
                #expect(try fs.readFile("/etc/hostname") == Array("build-vm\n".utf8), "\(name)")
                #expect(try fs.readlink("/etc/resolv.conf") == Array("../run/resolvconf/resolv.conf".utf8))
                #expect(try fs.glob("/etc/ssh/ssh_host_*key*").count == 6)
                for key in try fs.glob("/etc/ssh/ssh_host_*key*") { try fs.remove(key) }
                try fs.writeFile("/etc/hostname", contents: Array("localhost.localdomain\n".utf8))
                try fs.close()
                try image.commit()
            }
            let flat = out.file("\(name)-flat.raw")
            try ExternalTool.check(["qemu-img", "convert", "-O", "raw", path, flat])
            let fsck = try Fixtures.fsck(flat, offset: 1 << 20)
            #expect(fsck.status == 0, "\(name): \(fsck.output)")
        }
        let recovery = out.file("ext4-recovery-dynamic.vhd")
        let before = try FileDigest.sha256(recovery)
        do {
            let image = try openDisk(recovery, writable: false)
            let root = try RootSelector.select(in: try PartitionedDisk.inspect(image.device))
            let fs = try Ext4FileSystem(device: root.device, writable: false)
            #expect(fs.warnings.first?.code == .needsRecovery)
            #expect(fs.warnings.first?.message.contains("replayed in memory (1 transaction") == true)
            #expect(try fs.readFile("/etc/hostname") == Array("build-vm\n".utf8))
        }
        #expect(try FileDigest.sha256(recovery) == before)
        do {
            let image = try openDisk(recovery, writable: true)
            let root = try RootSelector.select(in: try PartitionedDisk.inspect(image.device))
            let fs = try Ext4FileSystem(device: root.device, writable: true, clock: 1_700_000_100)
            #expect(fs.journalReplay?.transactions == 1)
            try fs.writeFile("/etc/hostname", contents: Array("localhost\n".utf8))
            try fs.close()
            try image.commit()
        }
        let flat = out.file("ext4-recovery-flat.raw")
        try ExternalTool.check(["qemu-img", "convert", "-O", "raw", recovery, flat])
        let fsck = try Fixtures.fsck(flat, offset: 1 << 20)
        #expect(fsck.status == 0, "\(fsck.output)")
    }
}
