// The orphan list and orphan file, processed as the kernel does at mount.

import BlockIO
internal import CExt2fs

#if canImport(Glibc)
    import Glibc
#endif

// MARK: Orphans

extension Ext2Handle {
    /// Releases or truncates every inode on the superblock's orphan list (`s_last_orphan`, linked through each
    /// inode's `i_dtime`) as the kernel does at mount, then empties the list.
    ///
    /// - Throws: ``Ext4Error/Code/corrupt`` when the list names an inode outside the inode table or loops.
    func processOrphanList(now: Int64) throws(Ext4Error) -> OrphanCleanup {
        let fs = try live()
        guard let sb = fs.pointee.super else { return OrphanCleanup(released: 0, truncated: 0) }
        var cleanup = OrphanCleanup(released: 0, truncated: 0)
        let firstInode = sb.pointee.s_rev_level == 0 ? 11 : sb.pointee.s_first_ino
        let inodeCount = sb.pointee.s_inodes_count
        var seen = Set<InodeNumber>()
        var ino = sb.pointee.s_last_orphan
        while ino != 0 {
            guard ino >= firstInode, ino <= inodeCount else {
                throw Ext4Error(
                    .corrupt,
                    "the orphan list names inode \(ino), outside the inodes \(firstInode)...\(inodeCount); run "
                        + "`e2fsck -fy` on the partition")
            }
            guard seen.insert(ino).inserted else {
                throw Ext4Error(
                    .corrupt, "the orphan list loops back to inode \(ino); run `e2fsck -fy` on the partition")
            }
            let next = try readInode(ino).deletionTime
            try settleOrphan(ino, now: now, into: &cleanup)
            ino = next
        }
        try changing { () throws(Ext4Error) in
            let fs = try live()
            fs.pointee.super.pointee.s_last_orphan = 0
            ext2fs_mark_super_dirty(fs)
        }
        return cleanup
    }

    /// Releases inode `ino` (no links left: blocks, attributes and the inode freed, `i_dtime` set to `now`) or
    /// truncates it to its size (still linked: the blocks past it freed, `i_dtime` cleared), as the kernel does
    /// with an orphan at mount.
    private func settleOrphan(_ ino: InodeNumber, now: Int64, into cleanup: inout OrphanCleanup) throws(Ext4Error) {
        let fs = try live()
        let blockSize = UInt64(cext2fs_block_size(fs))
        var record = try readInode(ino)
        if record.linksCount == 0 {
            try release(ino, &record)
            record = try readInode(ino)
            record.deletionTime = UInt32(truncatingIfNeeded: now)
            cleanup.released += 1
        } else {
            // Rounded up without overflow: a hostile size near 2^64 keeps every block.
            let keep = record.size / blockSize + (record.size % blockSize == 0 ? 0 : 1)
            // Inline data and fast symlinks hold no blocks to free.
            if !record.hasInlineData && !(record.isSymlink && record.blocks512 == 0) {
                try punch(ino, &record, fromBlock: keep)
                record = try readInode(ino)
            }
            record.deletionTime = 0
            cleanup.truncated += 1
        }
        try writeInode(ino, record)
    }

    /// Settles every inode listed in the orphan file (the `orphan_file` feature: blocks of inode numbers, each
    /// block ending in a magic number and a checksum), empties the entries and clears `orphan_present`.
    ///
    /// - Throws: ``Ext4Error/Code/corrupt`` for an orphan-file block without its magic, or an entry outside the
    ///   inode table.
    func processOrphanFile(now: Int64) throws(Ext4Error) -> OrphanCleanup {
        let fs = try live()
        guard let sb = fs.pointee.super, sb.pointee.s_orphan_file_inum != 0 else {
            return OrphanCleanup(released: 0, truncated: 0)
        }
        let orphanFile = sb.pointee.s_orphan_file_inum
        let blockSize = Int(cext2fs_block_size(fs))
        let perBlock = (blockSize - MemoryLayout<ext4_orphan_block_tail>.size) / 4
        let firstInode = sb.pointee.s_first_ino
        let inodeCount = sb.pointee.s_inodes_count
        let blocks = try readInode(orphanFile).size / UInt64(blockSize)
        var cleanup = OrphanCleanup(released: 0, truncated: 0)
        for run in try blockRuns(of: orphanFile, count: blocks) {
            for physical in run.physical..<(run.physical + run.count) {
                var bytes: [UInt8]
                do throws(BlockIOError) {
                    bytes = try backend.device.read(at: physical * UInt64(blockSize), count: blockSize)
                } catch {
                    throw Ext4Error(.io, "cannot read orphan file block \(physical)", underlying: error)
                }
                func word(_ offset: Int) -> UInt32 {
                    UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                        | UInt32(bytes[offset + 3]) << 24
                }
                guard word(perBlock * 4) == UInt32(EXT4_ORPHAN_BLOCK_MAGIC) else {
                    throw Ext4Error(
                        .corrupt,
                        "orphan file block \(physical) has no orphan-block magic; run `e2fsck -fy` on the partition")
                }
                var changed = false
                for slot in 0..<perBlock {
                    let ino = word(slot * 4)
                    guard ino != 0 else { continue }
                    guard ino >= firstInode, ino <= inodeCount else {
                        throw Ext4Error(
                            .corrupt,
                            "the orphan file names inode \(ino), outside the inodes \(firstInode)...\(inodeCount); run "
                                + "`e2fsck -fy` on the partition")
                    }
                    try settleOrphan(ino, now: now, into: &cleanup)
                    bytes.replaceSubrange((slot * 4)..<(slot * 4 + 4), with: [0, 0, 0, 0])
                    changed = true
                }
                guard changed else { continue }
                try changing { () throws(Ext4Error) in
                    let rc = bytes.withUnsafeMutableBytes { raw in
                        ext2fs_orphan_file_block_csum_set(
                            fs, orphanFile, physical, raw.baseAddress!.assumingMemoryBound(to: CChar.self))
                    }
                    try check(rc, "checksum orphan file block \(physical)")
                    do throws(BlockIOError) {
                        try backend.device.write(at: physical * UInt64(blockSize), bytes: bytes)
                    } catch {
                        throw Ext4Error(.io, "cannot write orphan file block \(physical)", underlying: error)
                    }
                }
            }
        }
        try changing { () throws(Ext4Error) in
            let fs = try live()
            fs.pointee.super.pointee.s_feature_ro_compat &= ~UInt32(EXT4_FEATURE_RO_COMPAT_ORPHAN_PRESENT)
            ext2fs_mark_super_dirty(fs)
        }
        return cleanup
    }
}

/// libext2fs's table-driven (slice-by-8) CRCs, which jbd2's checksums use: `ext2fs_crc32c_le` and
/// `ext2fs_crc32_be`, both without inversion in or out (the kernel's `crc32c` and `crc32_be`).
enum Ext2fsCRC {
    static func crc32c(_ seed: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { ext2fs_crc32c_le(seed, $0.baseAddress, $0.count) }
    }

    static func crc32be(_ seed: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { ext2fs_crc32_be(seed, $0.baseAddress, $0.count) }
    }
}
