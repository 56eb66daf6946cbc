extension Ext4FileSystem {
    /// On a filesystem with the `quota` feature, sets every user's, group's and project's usage in the quota files to what
    /// the inodes now charge them (inodes, and `i_blocks` bytes, as e2fsck counts), keeping limits and grace
    /// times. Called before the metadata is written back; reads the whole inode table.
    ///
    /// An id that owns files but has no entry yet gets one, as the kernel adds it.
    ///
    /// - Throws: ``Ext4Error/Code/corrupt`` for a damaged quota file (the session is then not written back).
    func updateQuotaUsage() throws(Ext4Error) {
        guard isWritable, handle.superblock.roCompat & FeatureBit.quota != 0 else { return }
        let inodes = handle.quotaInodes
        let usage = try handle.quotaUsage()
        let files: [(InodeNumber, UInt32, String, [UInt32: QuotaUsage])] = [
            (inodes.user, 0xD9C0_1F11, "user", usage.users), (inodes.group, 0xD9C0_1927, "group", usage.groups),
            (inodes.project, 0xD9C0_3F14, "project", usage.projects),
        ]
        for (ino, magic, name, table) in files where ino != 0 {
            let original = try handle.readFile(ino, limit: 256 << 20)
            var file = try QuotaFile(parsing: original, magic: magic, name: name)
            for id in file.entries.keys where table[id] == nil { _ = file.setUsage(of: id, inodes: 0, space: 0) }
            for (id, used) in table.sorted(by: { $0.key < $1.key }) {
                if file.entries[id] == nil { _ = try file.insert(id, name: name) }
                _ = file.setUsage(of: id, inodes: used.inodes, space: used.space)
            }
            let existingBlocks = original.count / QuotaFile.blockSize
            for block in file.changedBlocks.sorted() where block < existingBlocks {
                let range = (block * QuotaFile.blockSize)..<((block + 1) * QuotaFile.blockSize)
                try handle.overwrite(ino, at: UInt64(range.lowerBound), Array(file.bytes[range]))
            }
            if file.bytes.count > original.count {
                try handle.append(ino, Array(file.bytes[original.count...]))
            }
        }
    }
}
