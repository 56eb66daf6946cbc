// The Ext2Handle calls that read and replace file data.

import BlockIO
internal import CExt2fs
internal import HostSystem

#if canImport(Glibc)
    import Glibc
#endif

extension Ext2Handle {
    // MARK: File data

    /// Reads the whole data of inode `ino`, refusing more than `limit` bytes.
    func readFile(_ ino: InodeNumber, limit: Int) throws(Ext4Error) -> [UInt8] {
        var out: [UInt8] = []
        try readChunks(ino, chunkSize: 1 << 16) { (chunk) throws(Ext4Error) in
            guard out.count + chunk.count <= limit else {
                throw Ext4Error(.tooLarge, "file is larger than the \(limit)-byte limit")
            }
            out += chunk
        }
        return out
    }

    /// Reads inode `ino`'s data in chunks of at most `chunkSize` bytes, holes as zeros.
    func readChunks(
        _ ino: InodeNumber, chunkSize: Int, _ body: ([UInt8]) throws(Ext4Error) -> Void
    )
        throws(Ext4Error)
    {
        let fs = try live()
        // libext2fs returns the whole inline-data area for inline files, so stop at i_size ourselves.
        var remaining = try readInode(ino).size
        var file: ext2_file_t?
        try check(ext2fs_file_open(fs, ino, 0, &file), "open inode \(ino)")
        defer { _ = ext2fs_file_close(file) }
        // No larger than the file: a small file needs no 1 MiB buffer to be zero-filled and faulted in.
        var buffer = [UInt8](repeating: 0, count: max(1, Int(min(UInt64(max(chunkSize, 1)), remaining))))
        while true {
            var got: UInt32 = 0
            let count = UInt32(buffer.count)
            let rc = buffer.withUnsafeMutableBytes { ext2fs_file_read(file, $0.baseAddress, count, &got) }
            try check(rc, "read inode \(ino)")
            let useful = Int(min(UInt64(got), remaining))
            if useful == 0 { return }
            remaining -= UInt64(useful)
            try body(Array(buffer[0..<useful]))
        }
    }

    /// Replaces inode `ino`'s data: cuts it to zero length, then writes each chunk the producer returns (until
    /// it returns nil), leaving whole zero blocks as holes, and sets the final size.
    ///
    /// - Returns: the number of bytes written.
    @discardableResult
    func replaceData(_ ino: InodeNumber, produce: () throws(Ext4Error) -> [UInt8]?) throws(Ext4Error) -> UInt64 {
        try changing { () throws(Ext4Error) -> UInt64 in
            let fs = try live()
            var file: ext2_file_t?
            try check(ext2fs_file_open(fs, ino, Int32(EXT2_FILE_WRITE), &file), "open inode \(ino) for writing")
            var closed = false
            defer { if !closed { _ = ext2fs_file_close(file) } }
            var initial: UInt64 = 0
            try check(ext2fs_file_get_lsize(file, &initial), "read the size of inode \(ino)")
            if initial != 0 { try check(ext2fs_file_set_size2(file, 0), "truncate inode \(ino)") }
            let block = blockSize
            var position: UInt64 = 0
            var pending: [UInt8] = []
            func writeOut(_ bytes: ArraySlice<UInt8>, at offset: UInt64) throws(Ext4Error) {
                if bytes.count == block && bytes.withUnsafeBytes({ ZeroDetection.isAllZero($0) }) { return }  // a hole
                try check(ext2fs_file_llseek(file, offset, Int32(EXT2_SEEK_SET), nil), "seek in inode \(ino)")
                try writeAll(bytes, to: file, ino)
            }
            while let chunk = try produce() {
                pending += chunk
                var start = 0
                while pending.count - start >= block {
                    try writeOut(pending[start..<start + block], at: position)
                    position += UInt64(block)
                    start += block
                }
                pending.removeFirst(start)
            }
            if !pending.isEmpty {
                try writeOut(pending[...], at: position)
                position += UInt64(pending.count)
            }
            // Writes already grew the size; set it only for trailing holes (never for inline data, where
            // libext2fs's set_size cannot zero a partial block).
            var current: UInt64 = 0
            try check(ext2fs_file_get_lsize(file, &current), "read the size of inode \(ino)")
            if current != position {
                try check(ext2fs_file_set_size2(file, ext2_off64_t(position)), "set the size of inode \(ino)")
            }
            closed = true
            try check(ext2fs_file_close(file), "finish writing inode \(ino)")
            return position
        }
    }

    /// Sets the size of inode `ino`: shrinking frees the blocks past the end, growing leaves a hole.
    func setSize(_ ino: InodeNumber, to size: UInt64) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            var file: ext2_file_t?
            try check(ext2fs_file_open(fs, ino, Int32(EXT2_FILE_WRITE), &file), "open inode \(ino) for writing")
            let rc = ext2fs_file_set_size2(file, ext2_off64_t(size))
            let closeRC = ext2fs_file_close(file)
            try check(rc, "set the size of inode \(ino)")
            try check(closeRC, "finish writing inode \(ino)")
        }
    }

    /// Writes all of `bytes` at the open file's position, retrying short writes (`ext2fs_file_write`).
    func writeAll(_ bytes: ArraySlice<UInt8>, to file: ext2_file_t?, _ ino: InodeNumber) throws(Ext4Error) {
        var done = 0
        while done < bytes.count {
            var wrote: UInt32 = 0
            let rc = bytes.withUnsafeBytes { raw in
                ext2fs_file_write(file, raw.baseAddress! + done, UInt32(raw.count - done), &wrote)
            }
            try check(rc, "write inode \(ino)")
            if wrote == 0 { throw Ext4Error(.io, "writing inode \(ino) made no progress") }
            done += Int(wrote)
        }
    }
}
