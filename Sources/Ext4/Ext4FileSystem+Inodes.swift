// Reads by inode number, for callers that already hold one from a directory listing (no path walk again).

extension Ext4FileSystem {
    /// The first `count` bytes (fewer when the file is shorter) of the regular file with inode number `inode`
    /// (from a ``DirectoryEntry`` of ``list(_:recursive:)``).
    ///
    /// - Throws: ``Ext4Error/Code/invalidArgument`` when the inode is not a regular file; a libext2fs error for
    ///   an inode number outside the filesystem.
    public func readHead(inode: UInt32, count: Int) throws(Ext4Error) -> [UInt8] {
        let record = try handle.readInode(inode)
        guard record.isRegular else { throw Ext4Error(.invalidArgument, "inode \(inode) is not a regular file") }
        guard count > 0, record.size > 0 else { return [] }
        var head: [UInt8]?
        do {
            try handle.readChunks(inode, chunkSize: count) { (chunk) throws(Ext4Error) in
                head = chunk
                throw Ext4Error(.invalidArgument, "enough read")
            }
        } catch {
            if let head { return head }
            throw error
        }
        return head ?? []
    }
}
