import BlockIO
import DiskLayout
import Foundation
import Testing
import _TestSupport

/// Compares every partition of `table` with `sfdisk --json` (start, size, type, bootable, number).
func expectMatchesSfdisk(
    _ table: PartitionTable, _ fixture: DiskFixture, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let expected = try fixture.sfdiskPartitions()
    #expect(Set(table.partitions.map(\.number)) == Set(expected.keys), sourceLocation: sourceLocation)
    for partition in table.partitions {
        guard let entry = expected[partition.number] else { continue }
        #expect(UInt64(entry["start"] as! Int) == partition.firstSector, sourceLocation: sourceLocation)
        #expect(UInt64(entry["size"] as! Int) == partition.sectorCount, sourceLocation: sourceLocation)
        #expect(
            (entry["type"] as! String).uppercased() == partition.type.code.uppercased(), sourceLocation: sourceLocation)
        if table.kind == .mbr {
            #expect((entry["bootable"] as? Bool ?? false) == partition.isBootable, sourceLocation: sourceLocation)
        } else {
            #expect((entry["name"] as? String ?? "") == partition.name, sourceLocation: sourceLocation)
            #expect((entry["uuid"] as? String) == partition.uniqueGUID?.description, sourceLocation: sourceLocation)
            let attributes = GPTPartitionEntry.attributeNames(partition.attributes ?? 0).joined(separator: " ")
            #expect((entry["attrs"] as? String ?? "") == attributes, sourceLocation: sourceLocation)
        }
    }
}

@Suite struct MBRTests {
    static let logicalScript = """
        label: dos
        label-id: 0x1badcafe
        start=2048, size=8M, type=83, bootable
        size=4M, type=82
        type=5
        size=4M, type=83
        size=3M, type=8e
        size=2M, type=c
        size=2M, type=fd
        """

    @Test func primaryAndLogicalPartitionsMatchSfdisk() throws {
        let fixture = try DiskFixture(sizeMiB: 32)
        try fixture.sfdisk(Self.logicalScript)
        let image = try DiskImage.open(path: fixture.path)
        let table = try PartitionTable.read(from: image.device)
        #expect(table.kind == .mbr)
        #expect(table.warnings.isEmpty)
        let sfdiskID = try fixture.sfdiskTable()["id"] as! String
        #expect(table.diskSignature.map { "0x" + String($0, radix: 16) } == sfdiskID)
        try expectMatchesSfdisk(table, fixture)
        // Linux numbering: 1, 2 primary, 3 extended, logical from 5 in chain order.
        #expect(table.partitions.map(\.number) == [1, 2, 3, 5, 6, 7, 8])
        #expect(
            table.partitions.map(\.kind) == [
                .mbrPrimary, .mbrPrimary, .mbrExtended, .mbrLogical, .mbrLogical, .mbrLogical, .mbrLogical,
            ])
        #expect(table.partition(number: 6)?.type.name == "Linux LVM")
        #expect(table.partition(number: 7)?.type.name == "W95 FAT32 (LBA)")
        #expect(table.partition(number: 8)?.role == .linuxRAID)
        #expect(table.partition(number: 2)?.role == .linuxSwap)
    }

    @Test func logicalPartitionSliceReadsTheDiskBytesAtItsOffset() throws {
        let fixture = try DiskFixture(sizeMiB: 32)
        try fixture.sfdisk(Self.logicalScript)
        let sfdisk = try fixture.sfdiskPartitions()
        let start = UInt64(sfdisk[6]!["start"] as! Int) * 512
        try fixture.patch(at: start + 4096, Array("logical six".utf8))
        let image = try DiskImage.open(path: fixture.path)
        let table = try PartitionTable.read(from: image.device)
        let slice = try table.partition(number: 6)!.slice(of: image.device)
        #expect(slice.start == start)
        #expect(try slice.read(at: 4096, count: 11) == Array("logical six".utf8))
        #expect(throws: DiskLayoutError.self) { try table.partition(number: 3)!.slice(of: image.device) }
    }

    @Test func ext4AtOffsetZeroIsUnpartitioned() throws {
        let fixture = try DiskFixture(sizeMiB: 8)
        try ExternalTool.check(["mkfs.ext4", "-q", "-F", "-L", "whole", fixture.path])
        let image = try DiskImage.open(path: fixture.path)
        let disk = try PartitionedDisk.inspect(image.device)
        #expect(disk.table.kind == .unpartitioned)
        #expect(disk.volumes.count == 1)
        let blkid = try fixture.blkid(offset: 0, size: image.device.size)
        #expect(disk.volumes[0].signature?.type == blkid["TYPE"])
        #expect(disk.volumes[0].signature?.uuid == blkid["UUID"])
        #expect(disk.volumes[0].signature?.label == "whole")
        let root = try RootSelector.select(in: disk)
        #expect(root.volume.partition == nil)
        #expect(root.device.size == image.device.size)
        #expect(throws: DiskLayoutError.self) { try RootSelector.select(in: disk, partition: 1) }
    }

    @Test func fatAtOffsetZeroIsNotMistakenForAnMBR() throws {
        // A FAT boot sector ends with 0x55AA like an MBR; libblkid and sfdisk see a filesystem, not a table.
        let fixture = try DiskFixture(sizeMiB: 8)
        try ExternalTool.check(["mkfs.vfat", "-n", "WHOLEFAT", fixture.path])
        let image = try DiskImage.open(path: fixture.path)
        let disk = try PartitionedDisk.inspect(image.device)
        #expect(disk.table.kind == .unpartitioned)
        let blkid = try fixture.blkid(offset: 0, size: image.device.size)
        #expect(blkid["TYPE"] == "vfat")
        #expect(disk.volumes[0].signature?.type == "vfat")
        #expect(disk.volumes[0].signature?.label == blkid["LABEL"])
        #expect(throws: DiskLayoutError.self) { try RootSelector.select(in: disk) }
    }

    @Test func emptyDiskIsUnpartitionedWithNothingFound() throws {
        let fixture = try DiskFixture(sizeMiB: 2)
        let image = try DiskImage.open(path: fixture.path)
        let disk = try PartitionedDisk.inspect(image.device)
        #expect(disk.table.kind == .unpartitioned)
        #expect(disk.volumes[0].filesystem == .nothingFound)
        #expect(try fixture.blkid(offset: 0, size: image.device.size)["TYPE"] == nil)
    }
}
