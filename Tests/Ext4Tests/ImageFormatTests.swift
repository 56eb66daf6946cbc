import BlockIO
import DiskLayout
import Ext4
import Foundation
import Testing
import _TestSupport

/// The filesystem layer works the same on every container: a partitioned raw disk, fixed, dynamic and
/// differencing VHDs; libext2fs only ever sees our io_manager over the block device.
@Suite struct ImageFormatTests {
    static let partitionStart: UInt64 = 1 << 20

    /// A 40 MiB raw disk: an MBR (sfdisk) with one Linux partition at 1 MiB holding an ext4 made by
    /// `mkfs.ext4 -E offset=` from the sample tree.
    static func partitionedRaw(in directory: TemporaryDirectory) throws -> String {
        let disk = directory.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "40M", disk])
        try ExternalTool.check(["sfdisk", "-q", disk], stdin: Data("start=2048, type=83\n".utf8))
        let tree = directory.file("tree")
        try Fixtures.writeTree(sampleTree, under: tree)
        try ExternalTool.check(
            ["mkfs.ext4", "-q", "-F", "-E", "offset=\(partitionStart)", "-d", tree, disk, "38M"],
            environment: ["E2FSPROGS_FAKE_TIME": "1700000000"])
        return disk
    }

    /// Opens the root filesystem of the image at `path` the way the commands do.
    static func openRoot(_ path: String, writable: Bool) throws -> (DiskImage, Ext4FileSystem) {
        let image = try openDisk(path, writable: writable)
        let disk = try PartitionedDisk.inspect(image.device)
        let root = try RootSelector.select(in: disk)
        #expect(root.volume.start == partitionStart)
        return (image, try Ext4FileSystem(device: root.device, writable: writable, clock: 1_650_000_000))
    }

    /// Flattens any image to raw with qemu-img, checks the partition with e2fsck -fn and returns the
    /// extracted partition for debugfs.
    ///
    /// qemu's vpc driver does not follow differencing parents, so a differencing chain is flattened by the block
    /// layer's converter (itself tested against qemu-img for every single-file type) instead.
    static func checkWithQemuAndE2fsck(
        _ path: String, in directory: TemporaryDirectory, chain: Bool = false
    )
        throws -> String
    {
        let flat = directory.file("flat-\(UUID().uuidString).raw")
        if chain {
            try ImageConverter.convert(source: path, destination: flat, options: .init(format: .raw))
        } else {
            try ExternalTool.check(["qemu-img", "convert", "-O", "raw", path, flat])
        }
        let result = try Fixtures.fsck(flat, offset: partitionStart)
        #expect(result.status == 0, "e2fsck -fn: \(result.output)")
        let part = directory.file("part-\(UUID().uuidString).img")
        try ExternalTool.check(["dd", "if=\(flat)", "of=\(part)", "bs=1M", "skip=1", "status=none"])
        return part
    }

    static func edit(_ fs: Ext4FileSystem) throws {
        try fs.writeFile("/etc/hostname", contents: Array("localhost.localdomain\n".utf8))
        try fs.remove("/var/lib/dhclient/dhclient-eth0.leases")
        for key in try fs.glob("/etc/ssh/ssh_host_*key*") { try fs.remove(key) }
        try fs.makeDirectory("/var/lib/waagent/extra", parents: true)
        try fs.writeFile("/var/lib/waagent/extra/big.bin", contents: [UInt8](repeating: 0x42, count: 3 << 20))
        try fs.close()
    }

    static func expectEdited(_ part: String) throws {
        #expect(try Fixtures.debugfs(part, "cat /etc/hostname") == "localhost.localdomain\n")
        let ssh = try Fixtures.debugfs(part, "ls -p /etc/ssh")
        #expect(!ssh.contains("ssh_host_") && ssh.contains("/moduli/"))
        #expect(try Fixtures.debugfs(part, "stat /var/lib/waagent/extra/big.bin").contains("Size: 3145728"))
        #expect(!(try Fixtures.debugfs(part, "ls -p /var/lib/dhclient")).contains("leases"))
    }

    @Test(arguments: ["raw", "fixed", "dynamic"])
    func editsInsideEachContainer(_ format: String) throws {
        let directory = try TemporaryDirectory(prefix: "ext4-formats")
        let raw = try Self.partitionedRaw(in: directory)
        var path = raw
        if format != "raw" {
            path = directory.file("disk-\(format).vhd")
            try ExternalTool.check([
                "qemu-img", "convert", "-O", "vpc", "-o", "subformat=\(format),force_size=on", raw, path,
            ])
        }
        do {
            let (image, fs) = try Self.openRoot(path, writable: true)
            try Self.edit(fs)
            try image.commit()
        }
        let part = try Self.checkWithQemuAndE2fsck(path, in: directory)
        try Self.expectEdited(part)
    }

    @Test func differencingChildTakesTheWritesAndTheParentStaysByteIdentical() throws {
        let directory = try TemporaryDirectory(prefix: "ext4-formats")
        let raw = try Self.partitionedRaw(in: directory)
        let parent = directory.file("parent.vhd")
        try ExternalTool.check([
            "qemu-img", "convert", "-O", "vpc", "-o", "subformat=dynamic,force_size=on", raw, parent,
        ])
        let child = directory.file("child.vhd")
        try ImageCreator.create(.differencing(parent: parent), at: child)
        let parentBefore = try FileDigest.sha256(parent)
        do {
            let (image, fs) = try Self.openRoot(child, writable: true)
            try Self.edit(fs)
            try image.commit()
        }
        #expect(try FileDigest.sha256(parent) == parentBefore, "the parent is never written")
        let part = try Self.checkWithQemuAndE2fsck(child, in: directory, chain: true)
        try Self.expectEdited(part)
        // The parent still reads as the original tree.
        let original = try Self.checkWithQemuAndE2fsck(parent, in: directory)
        #expect(try Fixtures.debugfs(original, "cat /etc/hostname") == "guest-vm\n")
        // A read-only session on the child changes nothing either.
        let childBefore = try FileDigest.sha256(child)
        do {
            let (_, fs) = try Self.openRoot(child, writable: false)
            #expect(try fs.readFile("/etc/hostname") == Array("localhost.localdomain\n".utf8))
            _ = try fs.list(.root, recursive: true)
        }
        #expect(try FileDigest.sha256(child) == childBefore)
    }
}
