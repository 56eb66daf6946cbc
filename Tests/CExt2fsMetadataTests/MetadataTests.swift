import CExt2fs
import Foundation
import Testing
import _TestSupport

/// The compiled bitmap and descriptor code (CExt2fsMetadata) against libext2fs's own: its CRC32C against
/// `ext2fs_crc32c_le` and the CRC-32C check value, its sparse bitmap read against `ext2fs_read_bitmaps` on
/// filesystems mkfs.ext4 made (with uninitialised groups, so the sparse path is taken).
@Suite struct MetadataTests {
    @Test func crc32cMatchesLibext2fsAndTheCheckValue() {
        let check = Array("123456789".utf8)
        #expect(~cext2fs_crc32c(~0, check, check.count) == 0xE306_9283)  // CRC-32C (Castagnoli) check value
        var generator = SeededGenerator(seed: 14)
        for length in [0, 1, 7, 8, 31, 32, 33, 4095, 4096, 65_537] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let seed = UInt32.random(in: 0...UInt32.max, using: &generator)
            // Unaligned starts too: the instruction path handles the bytes before an 8-byte boundary apart.
            for start in [0, min(3, length)] {
                let slice = Array(bytes[start...])
                #expect(cext2fs_crc32c(seed, slice, slice.count) == ext2fs_crc32c_le(seed, slice, slice.count))
            }
        }
    }

    @Test(arguments: [
        ["-b", "1024"], ["-b", "4096", "-g", "8192", "-O", "^metadata_csum,uninit_bg"],
        ["-b", "4096", "-g", "8192", "-O", "^flex_bg"],
    ])
    func sparseBitmapsEqualLibext2fsBitmaps(_ options: [String]) throws {
        let dir = try TemporaryDirectory()
        let tree = dir.path + "/tree"
        try Fixtures.writeTree(
            ["/etc/hostname": "metadata\n", "/var/lib/data.bin": String(repeating: "x", count: 300_000)], under: tree)
        let image = dir.path + "/fs.ext4"
        try Fixtures.makeFilesystem(at: image, sizeMiB: 96, tree: tree, extraOptions: options)

        let full = try Self.open(image)
        let sparse = try Self.open(image)
        defer {
            _ = cext2fs_close_plain(full)
            cext2fs_free(sparse)
        }
        #expect(ext2fs_read_bitmaps(full) == 0)
        #expect(cext2fs_read_bitmaps_sparse(sparse) == 0)
        let superblock = full.pointee.super!
        let first = UInt64(superblock.pointee.s_first_data_block)
        let blocks = ext2fs_blocks_count(superblock)
        var differing = 0
        var used = 0
        for block in first..<blocks {
            let expected = ext2fs_test_block_bitmap2(full.pointee.block_map, block) != 0
            if expected { used += 1 }
            if expected != (ext2fs_test_block_bitmap2(sparse.pointee.block_map, block) != 0) { differing += 1 }
        }
        for inode in 1...UInt64(superblock.pointee.s_inodes_count) {
            let expected = ext2fs_test_inode_bitmap2(full.pointee.inode_map, ext2_ino_t(inode)) != 0
            if expected != (ext2fs_test_inode_bitmap2(sparse.pointee.inode_map, ext2_ino_t(inode)) != 0) {
                differing += 1
            }
        }
        #expect(differing == 0)
        #expect(used > 100)  // the metadata and the files are there: the comparison saw real bits
        #expect(full.pointee.group_desc_count > 1)
    }

    static func open(_ path: String) throws -> ext2_filsys {
        var fs: ext2_filsys?
        // libext2fs's Unix io_manager, looked up by name: Swift 6 refuses to read the C global directly.
        let symbol = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "unix_io_manager"))
        let rc = ext2fs_open2(path, nil, Int32(EXT2_FLAG_64BITS), 0, 0, symbol.load(as: io_manager.self), &fs)
        try #require(rc == 0, "ext2fs_open2 \(path): \(rc)")
        return try #require(fs)
    }
}
