// Where the journal lives and which device blocks a file occupies, for the journal replay.

import BlockIO
internal import CExt2fs

#if canImport(Glibc)
    import Glibc
#endif

// MARK: Journal

/// A run of consecutive blocks of a file that are also consecutive on the device.
struct BlockRun: Equatable {
    /// The file's first block of the run.
    var logical: UInt64
    /// Where that block lies on the device, in filesystem blocks.
    var physical: UInt64
    var count: UInt64
}

/// Where the superblock says the filesystem's journal lives.
struct JournalPlacement {
    /// The journal inode (`s_journal_inum`); 0 when the journal is on an external device.
    var inode: InodeNumber
    /// The external journal device (`s_journal_dev`), when there is one.
    var externalDevice: UInt32
    /// Whether `s_journal_uuid` names an external journal.
    var hasExternalUUID: Bool
}

extension Ext2Handle {
    /// The superblock's journal fields.
    var journalPlacement: JournalPlacement {
        guard let fs, let sb = fs.pointee.super else {
            return JournalPlacement(inode: 0, externalDevice: 0, hasExternalUUID: false)
        }
        let uuid = withUnsafeBytes(of: sb.pointee.s_journal_uuid) { Array($0) }
        return JournalPlacement(
            inode: sb.pointee.s_journal_inum, externalDevice: sb.pointee.s_journal_dev,
            hasExternalUUID: uuid.contains { $0 != 0 })
    }

    /// Where the blocks `0..<count` of inode `ino` lie on the device, as runs (libext2fs's block map: extents
    /// or indirect blocks). A hole is an error: a journal has none.
    func blockRuns(of ino: InodeNumber, from first: UInt64 = 0, count: UInt64) throws(Ext4Error) -> [BlockRun] {
        let fs = try live()
        var record = try readInode(ino)
        var runs: [BlockRun] = []
        var scratch = [UInt8](repeating: 0, count: Int(cext2fs_block_size(fs)) * 3)
        for logical in first..<(first + count) {
            var physical: blk64_t = 0
            let rc = withUnsafeMutablePointer(to: &record.raw) { large in
                large.withMemoryRebound(to: ext2_inode.self, capacity: 1) { small in
                    scratch.withUnsafeMutableBytes { buffer in
                        ext2fs_bmap2(
                            fs, ino, small, buffer.baseAddress!.assumingMemoryBound(to: CChar.self),
                            0, logical, nil, &physical)
                    }
                }
            }
            try check(rc, "map block \(logical) of inode \(ino)")
            guard physical != 0 else {
                throw Ext4Error(.corrupt, "inode \(ino) has a hole at its block \(logical)")
            }
            if var last = runs.last, last.physical + last.count == physical {
                last.count += 1
                runs[runs.count - 1] = last
            } else {
                runs.append(BlockRun(logical: logical, physical: physical, count: 1))
            }
        }
        return runs
    }
}

extension Ext2Handle {
    /// Sets the superblock's free block and inode counts to the sums of the group descriptors', as the kernel
    /// does at mount (its counters start from the descriptors; the superblock's copies are only a hint). One
    /// pass over the descriptors, whatever the filesystem's size.
    func recountFreeFromGroups() throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            var clusters: UInt64 = 0
            var inodes: UInt64 = 0
            for group in 0..<fs.pointee.group_desc_count {
                clusters += UInt64(ext2fs_bg_free_blocks_count(fs, group))
                inodes += UInt64(ext2fs_bg_free_inodes_count(fs, group))
            }
            ext2fs_free_blocks_count_set(fs.pointee.super, clusters << UInt64(fs.pointee.cluster_ratio_bits))
            fs.pointee.super.pointee.s_free_inodes_count = UInt32(truncatingIfNeeded: inodes)
            ext2fs_mark_super_dirty(fs)
        }
    }
}
