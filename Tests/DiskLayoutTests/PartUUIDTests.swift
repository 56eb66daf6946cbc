import BlockIO
import DiskLayout
import Foundation
import Testing
import _TestSupport

/// `PartitionTable.partUUID(of:)` gives the PARTUUID util-linux's partx reads from the same table: the
/// disk signature and partition number on MBR (logical partitions too, and a signature with leading zeros),
/// the unique GUID on GPT.
@Suite struct PartUUIDTests {
    func partxUUIDs(_ fixture: DiskFixture) throws -> [Int: String] {
        let partx = try ExternalTool.check(["partx", "-g", "-o", "NR,UUID", fixture.path])
        var uuids: [Int: String] = [:]
        for line in partx.output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let number = Int(fields[0]) { uuids[number] = String(fields[1]) }
        }
        return uuids
    }

    @Test func mbrAndGPTMatchPartx() throws {
        let mbr = try DiskFixture(sizeMiB: 32)
        try mbr.sfdisk(
            """
            label: dos
            label-id: 0x00c0ffee
            start=2048, size=8M, type=83
            type=5
            size=4M, type=83
            size=4M, type=82
            """)
        let gpt = try DiskFixture(sizeMiB: 32, name: "gpt.raw")
        try gpt.sgdisk(["-n", "1:2048:+8M", "-n", "2:0:+4M", "-t", "2:8200"])
        for fixture in [mbr, gpt] {
            let table = try PartitionTable.read(from: try DiskImage.open(path: fixture.path).device)
            let expected = try partxUUIDs(fixture)
            #expect(!expected.isEmpty)
            for partition in table.partitions where expected[partition.number] != nil {
                #expect(table.partUUID(of: partition) == expected[partition.number], "partition \(partition.number)")
            }
        }
        let mbrTable = try PartitionTable.read(from: try DiskImage.open(path: mbr.path).device)
        #expect(mbrTable.partition(number: 6).flatMap(mbrTable.partUUID(of:)) == "00c0ffee-06")
    }
}
