import BlockIO
import Foundation
import Testing
import _TestSupport

@testable import Ext4

/// A session writes back only the block bitmaps of the groups it changed and only the descriptor blocks that
/// differ (CExt2fsMetadata/metadata.c). Each test runs the same edits on two copies of one image, one of them written
/// back by libext2fs's own writers (every initialized group, the whole descriptor table), and requires the two
/// images to be byte-identical after every session, `e2fsck -fn` clean, and the free counts dumpe2fs reads to
/// follow the edits. A group the tracker missed would keep a stale bitmap block: the copies would differ and
/// e2fsck's pass 5 would report the bitmap.
@Suite struct WriteBackTests {
    /// 1 KiB blocks in 1 MiB groups with 8 inodes each: a 512 MiB sparse image has 512 groups in 32 descriptor
    /// blocks, and a few hundred files fill dozens of groups with inodes and, near each 16-group flex_bg leader,
    /// with data.
    static func smallGroups(sizeMiB: Int) -> [String] {
        ["-b", "1024", "-g", "1024", "-N", "\(sizeMiB * 8)", "-J", "size=1"]
    }

    @Test func editsAcrossDistantGroupsWriteTheSameBytesAsLibext2fs() throws {
        let pair = try ImagePair(options: Self.smallGroups(sizeMiB: 512), sizeMiB: 512)
        let before = try GroupCounts(pair.fast)
        #expect(before.free.count == 512)

        let a = Self.pattern(12 << 20, seed: 1), b = Self.pattern(6 << 20, seed: 2), c = Self.pattern(9 << 20, seed: 3)
        try pair.session { fs in
            try fs.makeDirectory("/far")
            try fs.writeFile("/far/a.bin", contents: a)  // about 12 groups of data
            try fs.makeDirectory("/many")
            for i in 0..<300 {  // 300 inodes: about 38 groups of 8
                try fs.writeFile(GuestPath("/many/f\(i)"), contents: Self.pattern(1500 + 7 * i, seed: UInt8(i & 0xFF)))
            }
            try fs.makeDirectory("/many/sub/deeper", parents: true)
            try fs.makeSymlink("/many/link", target: "/far/a.bin")
            try fs.writeFile("/far/b.bin", contents: b)
            try fs.commit()  // a flush in the middle of the session, then more changes
            try fs.truncate("/far/a.bin", to: 2 << 20)
        }
        let first = try GroupCounts(pair.fast)
        let changed = first.groupsDiffering(from: before)
        #expect(changed.count >= 30, "the edits must reach many groups: \(changed)")
        #expect((changed.max() ?? 0) - (changed.min() ?? 0) >= 32, "and groups in different descriptor blocks")
        #expect(try Ext4FileSystemSnapshot(pair.fast).read("/far/b.bin") == b)

        try pair.session { fs in
            for i in stride(from: 0, to: 300, by: 2) { try fs.remove(GuestPath("/many/f\(i)")) }
            try fs.remove("/far/b.bin")
            try fs.writeFile("/far/c.bin", contents: c)  // reuses what b.bin and the files freed
            try fs.rename("/far/a.bin", to: "/many/a.bin")
        }
        #expect(try Ext4FileSystemSnapshot(pair.fast).read("/far/c.bin") == c)

        try pair.session { fs in try fs.chmod("/far/c.bin", mode: 0o600) }  // no bitmap changes at all
        try pair.session { _ in }  // nothing at all

        try pair.session { fs in
            try fs.removeDirectory("/many", recursive: true)
            try fs.removeDirectory("/far", recursive: true)
        }
        let after = try GroupCounts(pair.fast)
        #expect(after.free == before.free, "every group's free blocks and inodes are back to what mkfs left")
        #expect(after.totalFreeBlocks == before.totalFreeBlocks)
    }

    /// A session that allocates a block in a group and frees another one there leaves the group's free count,
    /// flags and descriptor as they were: only the allocation callback tells that its bitmap changed.
    @Test func aGroupWhoseCountsDidNotChangeIsStillWritten() throws {
        let pair = try ImagePair(options: Self.smallGroups(sizeMiB: 512), sizeMiB: 512)
        try pair.session { fs in
            try fs.makeDirectory("/nz")
            for i in 0..<20 { try fs.writeFile(GuestPath("/nz/k\(i)"), contents: Self.pattern(1000, seed: UInt8(i))) }
        }
        let freed = try Self.firstBlock(of: "/nz/k5", in: pair.fast)
        let before = try GroupCounts(pair.fast)
        try pair.session { fs in
            try fs.writeFile("/nz/new", contents: Self.pattern(1000, seed: 99))  // the next free block
            try fs.remove("/nz/k5")  // frees one of the blocks before it
        }
        let allocated = try Self.firstBlock(of: "/nz/new", in: pair.fast)
        let group = (freed - 1) / 1024  // 1 KiB blocks in 1024-block groups from block 1
        #expect(freed > 0 && group == (allocated - 1) / 1024, "blocks \(freed) and \(allocated) share a group")
        #expect(try GroupCounts(pair.fast).free[group] == before.free[group], "group \(group)'s counts are unchanged")
        #expect(try Fixtures.debugfs(pair.fast, "testb \(freed)").contains("not in use"))
        #expect(try Fixtures.debugfs(pair.fast, "testb \(allocated)").contains("marked in use"))
    }

    /// The physical block holding the first block of `path` (`debugfs bmap`).
    static func firstBlock(of path: String, in image: String) throws -> Int {
        Int(try Fixtures.debugfs(image, "bmap \(path) 0").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// The other layouts the tracker has to handle: no metadata_csum (crc16 descriptor checksums), 32-byte
    /// descriptors, no group descriptor checksums at all (ext2: every group initialized), meta_bg (the
    /// descriptor table written by libext2fs), bigalloc (libext2fs's writers throughout), 4 KiB blocks.
    @Test(arguments: [
        ["-O", "^metadata_csum"],
        ["-O", "^64bit"],
        ["-O", "meta_bg,^resize_inode"],
        ["-t", "ext2"],
        ["-O", "bigalloc", "-C", "16384"],
    ])
    func otherLayoutsWriteTheSameBytesAsLibext2fs(extra: [String]) throws {
        let fourK = extra.contains("bigalloc")
        let options = (fourK ? ["-b", "4096", "-J", "size=4"] : Self.smallGroups(sizeMiB: 256)) + extra
        let pair = try ImagePair(options: options, sizeMiB: fourK ? 512 : 256)
        let before = try GroupCounts(pair.fast)
        let a = Self.pattern(5 << 20, seed: 9)
        try pair.session { fs in
            try fs.makeDirectory("/d")
            for i in 0..<120 { try fs.writeFile(GuestPath("/d/f\(i)"), contents: Self.pattern(900 + 13 * i, seed: 5)) }
            try fs.writeFile("/d/a.bin", contents: a)
            try fs.commit()
            try fs.truncate("/d/a.bin", to: 1 << 20)
        }
        #expect(try GroupCounts(pair.fast).groupsDiffering(from: before).count >= (fourK ? 1 : 8))
        try pair.session { fs in
            for i in stride(from: 1, to: 120, by: 3) { try fs.remove(GuestPath("/d/f\(i)")) }
            try fs.writeFile("/d/b.bin", contents: a)
        }
        try pair.session { fs in try fs.removeDirectory("/d", recursive: true) }
        #expect(try GroupCounts(pair.fast).free == before.free)
    }

    static func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 11) &+ Int(seed)) }
    }
}

/// Two copies of one mkfs image: `fast` written back by the session tracker, `reference` by libext2fs.
private struct ImagePair {
    let directory: TemporaryDirectory
    let fast: String
    let reference: String

    init(options: [String], sizeMiB: Int) throws {
        directory = try TemporaryDirectory(prefix: "ext4-writeback")
        fast = directory.file("fast.img")
        reference = directory.file("reference.img")
        var fsType = "ext4"
        var mkfsOptions = options
        if let t = options.firstIndex(of: "-t") {
            fsType = options[t + 1]
            mkfsOptions.removeSubrange(t...(t + 1))
        }
        if fsType == "ext2", let j = mkfsOptions.firstIndex(of: "-J") { mkfsOptions.removeSubrange(j...(j + 1)) }
        try Fixtures.makeFilesystem(at: fast, sizeMiB: sizeMiB, fsType: fsType, extraOptions: mkfsOptions)
        try ExternalTool.check(["cp", "--sparse=always", fast, reference])
    }

    /// Runs `body` in one session on each copy (the reference through libext2fs's writers), closes, commits,
    /// and checks that the copies are identical and clean.
    func session(
        sourceLocation: SourceLocation = #_sourceLocation, _ body: (Ext4FileSystem) throws -> Void
    ) throws {
        for (path, libext2fsWriters) in [(fast, false), (reference, true)] {
            let disk = try openDisk(path, writable: true)
            let fs = try Ext4FileSystem(device: disk.device, writable: true, clock: 1_600_000_000)
            if libext2fsWriters { fs.handle.writeAllMetadataOnFlush() }
            try body(fs)
            try fs.close()
            try disk.commit()
        }
        let cmp = try ExternalTool.run(["cmp", fast, reference])
        #expect(cmp.status == 0, "the images differ: \(cmp.output)", sourceLocation: sourceLocation)
        let fsck = try Fixtures.fsck(fast)
        #expect(fsck.status == 0, "e2fsck -fn: \(fsck.output)\(fsck.stderr)", sourceLocation: sourceLocation)
    }
}

/// Per-group free blocks and inodes as dumpe2fs reads them.
private struct GroupCounts {
    var free: [[Int]] = []
    var totalFreeBlocks: Int?

    init(_ image: String) throws {
        let text = try ExternalTool.check(["dumpe2fs", image]).output
        for line in text.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("Free blocks:"), totalFreeBlocks == nil {
                totalFreeBlocks = Int(trimmed.split(separator: " ").last ?? "")
            }
            // "  32741 free blocks, 16 free inodes, 2 directories, 16 unused inodes" (clusters with bigalloc)
            guard trimmed.first?.isNumber == true,
                trimmed.contains(" free blocks, ") || trimmed.contains(" free clusters, ")
            else { continue }
            let numbers = trimmed.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Int($0) }
            free.append(Array(numbers.prefix(2)))
        }
    }

    func groupsDiffering(from other: GroupCounts) -> [Int] {
        zip(free, other.free).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
    }
}

/// Reads a file of a closed image (read-only open).
private struct Ext4FileSystemSnapshot {
    let path: String
    init(_ path: String) { self.path = path }
    func read(_ file: GuestPath) throws -> [UInt8] {
        let disk = try openDisk(path, writable: false)
        let fs = try Ext4FileSystem(device: disk.device, writable: false)
        return try fs.readFile(file)
    }
}
