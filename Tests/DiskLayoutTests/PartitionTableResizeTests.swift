import BlockIO
import DiskLayout
import Foundation
import Testing
import _TestSupport

/// `PartitionTableResize` on raw disks made by sgdisk and sfdisk, resized through `DiskImage.resizeDisk(to:)`.
/// Oracles: `sgdisk -v`, `sfdisk --json`, the protective MBR's bytes, and our own reader's warnings.
@Suite struct PartitionTableResizeTests {
    /// Resizes the raw disk at `path` to `size` (growing partition `grow` when given) and commits.
    @discardableResult
    func resize(_ path: String, to size: UInt64, grow: Int?? = nil) throws -> Partition? {
        let image = try DiskImage.open(path: path, writable: true)
        let table = try PartitionTable.read(from: image.device)
        let editor = PartitionTableResize(table: table)
        try editor.checkFits(newSize: size)
        let partition = try grow.map { try editor.partitionToGrow($0) }
        try image.resizeDisk(to: size)
        let grown = try editor.apply(on: image.device, grow: partition)
        try image.commit()
        return grown
    }

    func tableWarnings(_ path: String) throws -> [DiskLayoutWarning] {
        try PartitionTable.read(from: try DiskImage.open(path: path).device).warnings
    }

    func protectiveCount(_ path: String) throws -> UInt32 {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let sector = [UInt8](handle.readData(ofLength: 512))
        return (0..<4).reduce(UInt32(0)) { $0 | UInt32(sector[446 + 12 + $1]) << (8 * UInt32($1)) }
    }

    @Test func gptWith256EntriesFollowsTheDiskBothWays() throws {
        let dir = try TemporaryDirectory()
        let disk = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "64M", disk])
        try ExternalTool.check(["sgdisk", "-S", "256", "-n", "1:2048:+16M", "-n", "2:0:+8M", disk])
        try resize(disk, to: 256 << 20)
        let verify = try ExternalTool.run(["sgdisk", "-v", disk])
        #expect(verify.output.contains("No problems found"), "\(verify.output)")
        let json = try ExternalTool.check(["sfdisk", "--json", disk]).output
        // 256 entries: a 64-sector array; the last usable LBA is the array's first sector minus one.
        #expect(json.contains("\"lastlba\": \((256 << 11) - 1 - 64 - 1)"), "\(json)")
        #expect(try protectiveCount(disk) == UInt32((256 << 11) - 1))
        #expect(try tableWarnings(disk).isEmpty)

        // Grow the last partition (2), then shrink the disk back to just past it.
        let grown = try resize(disk, to: 512 << 20, grow: .some(nil))
        #expect(grown?.number == 2)
        #expect(grown.map { $0.endSector } == (512 << 11) - 1 - 64)
        #expect(try ExternalTool.run(["sgdisk", "-v", disk]).output.contains("No problems found"))
        #expect(throws: DiskLayoutError.self) { try resize(disk, to: 256 << 20) }
        try resize(disk, to: ((512 << 11) + 65) * 512)
        #expect(try ExternalTool.run(["sgdisk", "-v", disk]).output.contains("No problems found"))
        // Partition 1 is not the last one.
        #expect(throws: DiskLayoutError.self) { try resize(disk, to: 1 << 30, grow: .some(1)) }
    }

    @Test func damagedPrimaryGPTIsRefused() throws {
        let dir = try TemporaryDirectory()
        let disk = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "64M", disk])
        try ExternalTool.check(["sgdisk", "-n", "1:2048:+16M", disk])
        try ExternalTool.check([
            "dd", "if=/dev/zero", "of=\(disk)", "bs=512", "seek=1", "count=1", "conv=notrunc", "status=none",
        ])
        let digest = try FileDigest.sha256(disk)
        #expect {
            try resize(disk, to: 128 << 20)
        } throws: { error in
            "\(error)".contains("primary GPT header is damaged")
        }
        #expect(try FileDigest.sha256(disk) == digest)
    }

    @Test func mbrGrowsOnlyTheEntry() throws {
        let dir = try TemporaryDirectory()
        let disk = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "64M", disk])
        try ExternalTool.check(
            ["sfdisk", "-q", disk],
            stdin: Data("label: dos\nstart=2048, size=32768, type=83\nstart=34816, size=8192, type=82\n".utf8))
        try resize(disk, to: 128 << 20)
        let before = try ExternalTool.check(["sfdisk", "--json", disk]).output
        #expect(before.contains("\"size\": 8192"))
        try resize(disk, to: 128 << 20, grow: .some(2))
        let after = try ExternalTool.check(["sfdisk", "--json", disk]).output
        #expect(after.contains("\"size\": \((128 << 11) - 34816)"), "\(after)")
        #expect(after.contains("\"size\": 32768"))
        #expect(try ExternalTool.run(["sfdisk", "--verify", disk]).status == 0)
    }

    @Test func aLastLogicalPartitionGrowsWithItsExtendedContainer() throws {
        let dir = try TemporaryDirectory()
        let disk = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "64M", disk])
        try ExternalTool.check(
            ["sfdisk", "-q", disk],
            stdin: Data(
                "label: dos\nstart=2048, size=16384, type=83\nstart=18432, size=20480, type=5\nstart=20480, size=8192, type=83\n"
                    .utf8))
        let grown = try resize(disk, to: 128 << 20, grow: .some(nil))
        #expect(grown?.number == 5)
        let json = try ExternalTool.check(["sfdisk", "--json", disk]).stdout
        let table =
            (try JSONSerialization.jsonObject(with: json) as? [String: Any])?["partitiontable"] as? [String: Any]
        let sizes = Dictionary(
            uniqueKeysWithValues: ((table?["partitions"] as? [[String: Any]]) ?? []).compactMap {
                entry -> (Int, Int)? in
                guard let start = entry["start"] as? Int, let size = entry["size"] as? Int else { return nil }
                return (start, size)
            })
        #expect(sizes[20480] == (128 << 11) - 20480, "the logical partition: \(sizes)")
        #expect(sizes[18432] == (128 << 11) - 18432, "its extended container: \(sizes)")
        #expect(sizes[2048] == 16384)
        let verify = try ExternalTool.run(["sfdisk", "--verify", disk])
        #expect(verify.status == 0, "\(verify.output)\(verify.stderr)")
    }
}
