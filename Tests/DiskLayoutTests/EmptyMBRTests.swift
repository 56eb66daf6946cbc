import BlockIO
import DiskLayout
import Foundation
import Testing
import _TestSupport

/// A sector 0 with the 0x55AA signature and four empty entries (what `sfdisk` writes for `label: dos` alone,
/// and what Windows' disk initialisation leaves) is an empty "dos" table, as libblkid reports it.
@Suite struct EmptyMBRTests {
    @Test func anMBRWithoutEntriesIsAnEmptyDosTableAsBlkidSays() throws {
        let fixture = try DiskFixture(sizeMiB: 4)
        try fixture.sfdisk("label: dos\nlabel-id: 0x12345678\n")
        let blkid = try ExternalTool.check(["blkid", "-p", "-o", "export", fixture.path]).output
        #expect(blkid.contains("PTTYPE=dos"), "\(blkid)")
        let table = try PartitionTable.read(from: try DiskImage.open(path: fixture.path).device)
        #expect(table.kind == .mbr)
        #expect(table.partitions.isEmpty)
        #expect(table.diskSignature == 0x1234_5678)
        #expect(blkid.contains("PTUUID=12345678"), "\(blkid)")
    }

    @Test func aDiskWithoutSignatureStaysUnpartitioned() throws {
        let fixture = try DiskFixture(sizeMiB: 4)
        let blkid = try ExternalTool.run(["blkid", "-p", "-o", "export", fixture.path]).output
        #expect(!blkid.contains("PTTYPE"), "\(blkid)")
        #expect(try PartitionTable.read(from: try DiskImage.open(path: fixture.path).device).kind == .unpartitioned)
    }
}
