import BlockIO
import DiskLayout
import Foundation
import Testing
import _TestSupport

/// Root selection on disks laid out by sgdisk/sfdisk with filesystems made by mkfs: the rules documented on
/// ``RootSelector``.
@Suite struct RootSelectorTests {
    /// A GPT disk: each element is (sgdisk type code, size MiB, mkfs command or nil).
    static func gptDisk(_ layout: [(String, Int, [String]?)]) throws -> (DiskFixture, PartitionedDisk) {
        let fixture = try DiskFixture(sizeMiB: layout.reduce(2) { $0 + $1.1 + 1 })
        var arguments: [String] = []
        for (index, (type, size, _)) in layout.enumerated() {
            arguments += ["-n", "\(index + 1):0:+\(size)M", "-t", "\(index + 1):\(type)"]
        }
        try fixture.sgdisk(arguments)
        let partitions = try fixture.sfdiskPartitions()
        for (index, (_, size, command)) in layout.enumerated() {
            guard let command else { continue }
            try fixture.place(command, sizeMiB: size, atSector: UInt64(partitions[index + 1]!["start"] as! Int))
        }
        let disk = try PartitionedDisk.inspect(DiskImage.open(path: fixture.path).device)
        return (fixture, disk)
    }

    static let ext4 = ["mkfs.ext4", "-q", "-F"]

    @Test func ext4IsChosenOverEFIAndSwap() throws {
        let (fixture, disk) = try Self.gptDisk([
            ("ef00", 16, ["mkfs.vfat", "-F", "16", "-n", "EFI"]), ("8300", 24, Self.ext4 + ["-L", "root"]),
            ("8200", 8, ["mkswap"]),
        ])
        let root = try RootSelector.select(in: disk)
        #expect(root.volume.number == 2)
        #expect(root.reason.contains("only ext4"))
        // The slice is the partition sfdisk reports, and blkid finds the same ext4 there.
        let start = UInt64(try fixture.sfdiskPartitions()[2]!["start"] as! Int) * 512
        #expect((root.device as? SliceDevice)?.start == start)
        #expect(try fixture.blkid(offset: start, size: root.device.size)["UUID"] == root.volume.signature?.uuid)
    }

    @Test func twoIndistinguishableExt4PartitionsAreAmbiguousUnlessChosen() throws {
        let (_, disk) = try Self.gptDisk([
            ("8300", 16, Self.ext4 + ["-L", "alpha"]), ("8300", 16, Self.ext4 + ["-L", "beta"]),
        ])
        do {
            _ = try RootSelector.select(in: disk)
            Issue.record("two ext4 partitions were not reported as ambiguous")
        } catch {
            #expect(error.code == .ambiguousRoot)
            #expect(error.candidates == [1, 2])
            #expect(error.message.contains("LABEL=alpha") && error.message.contains("LABEL=beta"))
            #expect(error.message.contains("--partition"))
        }
        let chosen = try RootSelector.select(in: disk, partition: 2)
        #expect(chosen.volume.signature?.label == "beta")
        #expect(chosen.reason == "chosen with --partition 2")
    }

    @Test func bootLabelledPartitionIsPassedOver() throws {
        let (_, disk) = try Self.gptDisk([
            ("8300", 16, Self.ext4 + ["-L", "boot"]), ("8300", 16, Self.ext4 + ["-L", "system"]),
        ])
        #expect(try RootSelector.select(in: disk).volume.signature?.label == "system")
    }

    @Test func smallPartitionIsPassedOverWhenALargeOneExists() throws {
        let (_, disk) = try Self.gptDisk([("8300", 16, Self.ext4), ("8300", 256, Self.ext4)])
        let root = try RootSelector.select(in: disk)
        #expect(root.volume.number == 2)
        #expect(root.reason.contains("smaller than"))
    }

    @Test(.enabled(if: ToolCheck.exists("mkfs.xfs"))) func ext4RanksAboveXFS() throws {
        let (_, disk) = try Self.gptDisk([("8300", 300, ["mkfs.xfs", "-q", "-f"]), ("8300", 256, Self.ext4)])
        let root = try RootSelector.select(in: disk)
        #expect(root.volume.number == 2)
        #expect(root.reason.contains("ranked above xfs"))
    }

    @Test func gptRootTypeSettlesATie() throws {
        let (_, disk) = try Self.gptDisk([("8300", 16, Self.ext4), ("8304", 16, Self.ext4)])
        let root = try RootSelector.select(in: disk)
        #expect(root.volume.number == 2)
        #expect(root.volume.partition?.role == .linuxRoot)
    }

    @Test func bootBesideLVMSaysTheRootIsInsideLVM() throws {
        let fixture = try DiskFixture(sizeMiB: 40)
        try fixture.sfdisk("label: dos\nstart=2048, size=16M, type=83, bootable\nsize=20M, type=8e\n")
        try fixture.place(Self.ext4 + ["-L", "boot"], sizeMiB: 16, atSector: 2048)
        let disk = try PartitionedDisk.inspect(DiskImage.open(path: fixture.path).device)
        do {
            _ = try RootSelector.select(in: disk)
            Issue.record("a /boot partition was chosen as the root beside an LVM partition")
        } catch {
            #expect(error.code == .noRootCandidate)
            #expect(error.message.contains("LVM") && error.message.contains("partition 2"))
        }
    }

    @Test func noLinuxFilesystemIsAClearError() throws {
        let (_, disk) = try Self.gptDisk([
            ("ef00", 16, ["mkfs.vfat", "-F", "16"]), ("8200", 8, ["mkswap"]), ("8300", 4, nil),
        ])
        do {
            _ = try RootSelector.select(in: disk)
            Issue.record("a root was chosen on a disk without Linux filesystems")
        } catch {
            #expect(error.code == .noRootCandidate)
            #expect(error.message.contains("partition 1: vfat") && error.message.contains("partition 2: swap"))
            #expect(error.message.contains("partition 3: no filesystem"))
        }
    }

    @Test func rootInALogicalPartitionIsNumberedFive() throws {
        let fixture = try DiskFixture(sizeMiB: 40)
        try fixture.sfdisk("label: dos\nstart=2048, size=8M, type=82\ntype=5\nsize=8M, type=82\nsize=16M, type=83\n")
        let logical = try fixture.sfdiskPartitions()[6]!
        try fixture.place(Self.ext4 + ["-L", "logical"], sizeMiB: 16, atSector: UInt64(logical["start"] as! Int))
        let disk = try PartitionedDisk.inspect(DiskImage.open(path: fixture.path).device)
        let root = try RootSelector.select(in: disk)
        #expect(root.volume.number == 6)
        #expect(root.volume.partition?.kind == .mbrLogical)
        #expect(root.volume.signature?.label == "logical")
        do {
            _ = try RootSelector.select(in: disk, partition: 9)
            Issue.record("partition 9 does not exist")
        } catch {
            #expect(error.code == .noSuchPartition)
            #expect(error.candidates == [1, 5, 6])
        }
        do {
            _ = try RootSelector.select(in: disk, partition: 2)
            Issue.record("an extended partition was opened as a volume")
        } catch {
            #expect(error.code == .noSuchPartition)
            #expect(error.message.contains("extended"))
        }
    }
}

@Suite struct ImageVolumeTests {
    @Test func opensTheRootOrTheChosenPartitionAndHoldsTheLock() throws {
        let fixture = try DiskFixture(sizeMiB: 40)
        try fixture.sfdisk("label: dos\nstart=2048, size=16M, type=83\nsize=16M, type=83\n")
        let partitions = try fixture.sfdiskPartitions()
        try fixture.place(
            ["mkfs.ext4", "-q", "-F", "-L", "main"], sizeMiB: 16, atSector: UInt64(partitions[1]!["start"] as! Int))
        do {
            let root = try ImageVolume.open(path: fixture.path)
            #expect(root.selection.volume.number == 1)
            #expect(root.device.size == 16 << 20)
            let chosen = try ImageVolume.open(path: fixture.path, partition: 2)
            #expect(chosen.selection.volume.number == 2)
            #expect(chosen.selection.volume.filesystem == .nothingFound)
            // A reader holds a shared lock: a writer is refused while it lives.
            do {
                _ = try ImageVolume.open(path: fixture.path, writable: true)
                Issue.record("a writer opened an image two readers hold")
            } catch let error as BlockIOError {
                #expect(error.code == .inUse)
            }
            withExtendedLifetime((root, chosen)) {}
        }
        let writer = try ImageVolume.open(path: fixture.path, writable: true, partition: 1)
        #expect(writer.device.isWritable)
    }
}
