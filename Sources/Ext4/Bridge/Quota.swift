// Quota usage kept right by the Ext4 layer.

import BlockIO
internal import CExt2fs

#if canImport(Glibc)
    import Glibc
#endif

// MARK: Quota

/// Inodes and bytes charged to one user or group.
struct QuotaUsage: Equatable {
    var inodes: UInt64 = 0
    var space: UInt64 = 0
}

extension Ext2Handle {
    /// The superblock's user, group and project quota inodes (0: none).
    var quotaInodes: (user: InodeNumber, group: InodeNumber, project: InodeNumber) {
        guard let fs, let sb = fs.pointee.super else { return (0, 0, 0) }
        return (sb.pointee.s_usr_quota_inum, sb.pointee.s_grp_quota_inum, sb.pointee.s_prj_quota_inum)
    }

    /// What every inode in use charges its user and group, as e2fsck counts it: the root directory and every
    /// inode from the first ordinary one on (not the quota or orphan files), one inode and `i_blocks` bytes
    /// each. Reads the whole inode table.
    func quotaUsage() throws(Ext4Error)
        -> (users: [UInt32: QuotaUsage], groups: [UInt32: QuotaUsage], projects: [UInt32: QuotaUsage])
    {
        let fs = try live()
        guard let sb = fs.pointee.super else { return ([:], [:], [:]) }
        // The project id is stored only in inodes whose extra part reaches it (else project 0).
        let projectEnd = (MemoryLayout<ext2_inode_large>.offset(of: \ext2_inode_large.i_projid) ?? Int.max) + 4
        let inodeSize = Int(cext2fs_inode_size(fs))
        let firstInode = sb.pointee.s_rev_level == 0 ? 11 : sb.pointee.s_first_ino
        let skipped: Set<InodeNumber> = [
            sb.pointee.s_usr_quota_inum, sb.pointee.s_grp_quota_inum, sb.pointee.s_prj_quota_inum,
            sb.pointee.s_orphan_file_inum,
        ]
        var scan: ext2_inode_scan?
        try check(ext2fs_open_inode_scan(fs, 0, &scan), "scan the inode table")
        defer { ext2fs_close_inode_scan(scan) }
        // Skip block groups whose inode table was never used (uninit_bg/metadata_csum), as e2fsck does.
        _ = ext2fs_inode_scan_flags(scan, Int32(EXT2_SF_DO_LAZY), 0)
        var users: [UInt32: QuotaUsage] = [:]
        var groups: [UInt32: QuotaUsage] = [:]
        var projects: [UInt32: QuotaUsage] = [:]
        var record = InodeRecord()
        let size = Int32(MemoryLayout<ext2_inode_large>.size)
        while true {
            var ino: ext2_ino_t = 0
            let rc = withUnsafeMutablePointer(to: &record.raw) { large in
                large.withMemoryRebound(to: ext2_inode.self, capacity: 1) {
                    ext2fs_get_next_inode_full(scan, &ino, $0, size)
                }
            }
            if rc == errcode_t(EXT2_ET_BAD_BLOCK_IN_INODE_TABLE) { continue }
            try check(rc, "scan the inode table")
            if ino == 0 { break }
            guard ino == rootInode || ino >= firstInode, !skipped.contains(ino), record.linksCount > 0,
                ext2fs_test_inode_bitmap2(fs.pointee.inode_map, ino) != 0
            else { continue }
            let blocks = withUnsafeMutablePointer(to: &record.raw) { large in
                large.withMemoryRebound(to: ext2_inode.self, capacity: 1) { ext2fs_get_stat_i_blocks(fs, $0) }
            }
            users[record.uid, default: QuotaUsage()].inodes += 1
            users[record.uid, default: QuotaUsage()].space += UInt64(blocks) * 512
            groups[record.gid, default: QuotaUsage()].inodes += 1
            groups[record.gid, default: QuotaUsage()].space += UInt64(blocks) * 512
            let project = inodeSize > 128 && 128 + Int(record.raw.i_extra_isize) >= projectEnd ? record.raw.i_projid : 0
            projects[project, default: QuotaUsage()].inodes += 1
            projects[project, default: QuotaUsage()].space += UInt64(blocks) * 512
        }
        return (users, groups, projects)
    }

    /// Appends `bytes` to inode `ino`'s data (blocks allocated as the file grows).
    func append(_ ino: InodeNumber, _ bytes: [UInt8]) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            var file: ext2_file_t?
            try check(ext2fs_file_open(fs, ino, Int32(EXT2_FILE_WRITE), &file), "open inode \(ino) for writing")
            var size: UInt64 = 0
            do throws(Ext4Error) {
                try check(ext2fs_file_get_lsize(file, &size), "read the size of inode \(ino)")
                try check(ext2fs_file_llseek(file, size, Int32(EXT2_SEEK_SET), nil), "seek in inode \(ino)")
                try writeAll(bytes[...], to: file, ino)
            } catch {
                _ = ext2fs_file_close(file)
                throw error
            }
            try check(ext2fs_file_close(file), "close inode \(ino)")
        }
    }

    /// Writes `bytes` at byte `offset` of inode `ino`'s data, in place (the blocks must exist).
    func overwrite(_ ino: InodeNumber, at offset: UInt64, _ bytes: [UInt8]) throws(Ext4Error) {
        let fs = try live()
        let blockSize = UInt64(cext2fs_block_size(fs))
        var written = 0
        while written < bytes.count {
            let position = offset + UInt64(written)
            let logical = position / blockSize
            let within = Int(position % blockSize)
            let take = min(bytes.count - written, Int(blockSize) - within)
            guard let run = try blockRuns(of: ino, from: logical, count: 1).first else {
                throw Ext4Error(.corrupt, "inode \(ino) has no block \(logical)")
            }
            do {
                try backend.device.write(
                    at: run.physical * blockSize + UInt64(within), bytes: Array(bytes[written..<(written + take)]))
            } catch {
                throw Ext4Error(.io, "cannot write block \(logical) of inode \(ino)", underlying: error)
            }
            written += take
        }
    }
}
