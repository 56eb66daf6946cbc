extension Ext4FileSystem {
    /// On a filesystem with the `quota` feature, sets every user's and group's usage in the quota files to what
    /// the inodes now charge them (inodes, and `i_blocks` bytes, as e2fsck counts), keeping limits and grace
    /// times. Called before the metadata is written back; reads the whole inode table.
    ///
    /// - Throws: ``Ext4Error/Code/unsupportedFeature`` when an id that now owns files has no entry in its quota
    ///   file (adding entries is not supported; the session is then not written back),
    ///   ``Ext4Error/Code/corrupt`` for a damaged quota file.
    func updateQuotaUsage() throws(Ext4Error) {
        guard isWritable, handle.superblock.roCompat & FeatureBit.quota != 0 else { return }
        let inodes = handle.quotaInodes
        let usage = try handle.quotaUsage()
        let files: [(InodeNumber, UInt32, String, [UInt32: QuotaUsage])] = [
            (inodes.user, 0xD9C0_1F11, "user", usage.users), (inodes.group, 0xD9C0_1927, "group", usage.groups),
        ]
        for (ino, magic, name, table) in files where ino != 0 {
            var file = try QuotaFile(parsing: try handle.readFile(ino, limit: 256 << 20), magic: magic, name: name)
            for id in file.entries.keys where table[id] == nil { _ = file.setUsage(of: id, inodes: 0, space: 0) }
            for (id, used) in table.sorted(by: { $0.key < $1.key }) {
                guard file.setUsage(of: id, inodes: used.inodes, space: used.space) else {
                    throw Ext4Error(
                        .unsupportedFeature,
                        "the \(name) quota file has no entry for \(name) id \(id), which now owns files, and adding "
                            + "entries is not supported; nothing was written (`tune2fs -O ^quota` then `-O quota` on "
                            + "the partition recounts everything)")
                }
            }
            for block in file.changedBlocks.sorted() {
                let range = (block * QuotaFile.blockSize)..<((block + 1) * QuotaFile.blockSize)
                try handle.overwrite(ino, at: UInt64(range.lowerBound), Array(file.bytes[range]))
            }
        }
    }
}
