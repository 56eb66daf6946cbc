import CExt2fs

// A walk of a directory tree that reads the first bytes of every regular file in it, for content sniffing
// (private-key armor) over tens of thousands of files: directories are walked by inode (never by path), each
// file's inode is read once, and the first blocks of many files are read together, sorted by their place on
// disk, in a few large reads instead of one read per file.

/// The first bytes of one regular file met by ``Ext4FileSystem/scanFileHeads(under:limits:progress:_:)``.
public struct FileHead: Sendable {
    /// The folder the file is in.
    public var directory: GuestPath
    /// The file's name in it.
    public var name: GuestName
    /// Its inode number.
    public var inode: UInt32
    /// Its size in bytes.
    public var size: UInt64
    /// Its first `min(size, limits.headBytes)` bytes.
    public var head: [UInt8]

    /// The file's path.
    public var path: GuestPath { directory.appending(name) }
}

/// How far ``Ext4FileSystem/scanFileHeads(under:limits:progress:_:)`` goes.
public struct HeadScanLimits: Sendable {
    /// Bytes of each file's head.
    public var headBytes: Int
    /// Files smaller than this are not read.
    public var smallestFile: UInt64
    /// Files larger than this are not read (counted in ``HeadScanProgress/skippedLarge``).
    public var largestFile: UInt64
    /// Directory entries looked at before the scan stops.
    public var maxEntries: Int
    /// Head bytes read before the scan stops.
    public var maxBytes: Int
    /// When the scan stops.
    public var deadline: ContinuousClock.Instant

    /// The limits of one scan (see each property).
    public init(
        headBytes: Int, smallestFile: UInt64, largestFile: UInt64, maxEntries: Int, maxBytes: Int,
        deadline: ContinuousClock.Instant
    ) {
        self.headBytes = headBytes
        self.smallestFile = smallestFile
        self.largestFile = largestFile
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        self.deadline = deadline
    }
}

/// What a head scan covered (accumulated over several calls).
public struct HeadScanProgress: Sendable, Equatable {
    /// Why a scan stopped before covering everything.
    public enum Stop: Sendable, Equatable {
        /// ``HeadScanLimits/maxEntries`` directory entries were looked at.
        case entries
        /// ``HeadScanLimits/maxBytes`` head bytes were read.
        case bytes
        /// ``HeadScanLimits/deadline`` passed.
        case time
    }

    /// Directory entries looked at (`.` and `..` not counted).
    public var entries = 0
    /// Files whose head was read.
    public var filesRead = 0
    /// Head bytes read (what ``HeadScanLimits/maxBytes`` bounds).
    public var bytesRead = 0
    /// Bytes read from the device for the heads: whole blocks, and the unused blocks a shared read steps over.
    public var deviceBytesRead = 0
    /// Reads of the device for the heads.
    public var deviceReads = 0
    /// Files not read because they are larger than ``HeadScanLimits/largestFile``.
    public var skippedLarge = 0
    /// Set when a limit stopped the scan.
    public var stop: Stop?

    /// Nothing covered yet.
    public init() {}
}

extension Ext4FileSystem {
    /// Walks the tree under the directory `path` (symbolic links are not followed, directories entered once)
    /// and calls `visit` with the head of every regular file whose size is within the limits, in no particular
    /// order. Stops early, setting ``HeadScanProgress/stop``, when a limit of `limits` is reached.
    ///
    /// - Throws: ``Ext4Error/Code/notDirectory`` when `path` is not a directory; libext2fs errors for a
    ///   damaged directory or inode.
    public func scanFileHeads(
        under path: GuestPath, limits: HeadScanLimits, progress: inout HeadScanProgress, _ visit: (FileHead) -> Void
    ) throws(Ext4Error) {
        let top = try existingInode(path, followFinal: true)
        guard try handle.readInode(top).isDirectory else {
            throw Ext4Error(.notDirectory, "not a directory", path: path.description)
        }
        var scanner = HeadScanner(filesystem: self, fs: try handle.live(), limits: limits)
        defer { progress = scanner.progress }
        scanner.progress = progress
        try scanner.walk(from: top, at: path, visit)
    }
}

/// The walk and the batched reads of ``Ext4FileSystem/scanFileHeads(under:limits:progress:_:)``.
struct HeadScanner {
    /// A file whose first blocks are one run on disk, waiting to be read with its neighbours.
    struct Pending {
        var directory: GuestPath
        var name: [UInt8]
        var inode: InodeNumber
        var size: UInt64
        var firstBlock: UInt64
        var blocks: Int
    }

    let filesystem: Ext4FileSystem
    let fs: ext2_filsys
    let limits: HeadScanLimits
    let blockSize: Int
    let blockCount: UInt64
    var progress = HeadScanProgress()
    var pending: [Pending] = []
    /// Files gathered before their heads are read together.
    static let batch = 512
    /// Blocks of unused space a shared read may step over between two files.
    static let gapBlocks: UInt64 = 8
    /// The largest shared read, in bytes.
    static let maxRunBytes = 256 << 10

    var handle: Ext2Handle { filesystem.handle }

    init(filesystem: Ext4FileSystem, fs: ext2_filsys, limits: HeadScanLimits) {
        self.filesystem = filesystem
        self.fs = fs
        self.limits = limits
        blockSize = Int(fs.pointee.blocksize)
        blockCount = ext2fs_blocks_count(fs.pointee.super)
    }

    var stopped: Bool {
        mutating get {
            if progress.stop != nil { return true }
            if progress.entries > limits.maxEntries {
                progress.stop = .entries
            } else if progress.bytesRead >= limits.maxBytes {
                progress.stop = .bytes
            } else if ContinuousClock.now > limits.deadline {
                progress.stop = .time
            }
            return progress.stop != nil
        }
    }

    mutating func walk(from top: InodeNumber, at path: GuestPath, _ visit: (FileHead) -> Void) throws(Ext4Error) {
        var stack: [(path: GuestPath, inode: InodeNumber, depth: Int)] = [(path, top, 0)]
        var visited: Set<InodeNumber> = [top]
        walk: while let (directory, inode, depth) = stack.popLast() {
            if stopped { break }
            for entry in try handle.entries(of: inode) {
                progress.entries += 1
                if progress.entries > limits.maxEntries {
                    progress.stop = .entries
                    break walk
                }
                switch entry.fileType {
                case UInt8(EXT2_FT_DIR):
                    guard depth + 1 < Ext4FileSystem.maxDirectoryDepth, visited.insert(entry.inode).inserted else {
                        continue
                    }
                    stack.append((directory.appending(GuestName(bytes: entry.name)), entry.inode, depth + 1))
                case UInt8(EXT2_FT_REG_FILE), UInt8(EXT2_FT_UNKNOWN):
                    try consider(entry, in: directory, depth: depth, stack: &stack, visited: &visited, visit)
                default:
                    continue
                }
                if pending.count >= Self.batch {
                    try flush(visit)
                    if stopped { break walk }
                }
            }
        }
        if progress.stop == nil { try flush(visit) } else { pending.removeAll() }
    }

    /// Reads the inode of a regular file (or of an entry whose type the directory does not record) and queues
    /// its head, or reads it at once when its first blocks are not one plain run on disk.
    mutating func consider(
        _ entry: RawDirectoryEntry, in directory: GuestPath, depth: Int,
        stack: inout [(path: GuestPath, inode: InodeNumber, depth: Int)], visited: inout Set<InodeNumber>,
        _ visit: (FileHead) -> Void
    ) throws(Ext4Error) {
        var inode = ext2_inode_large()
        let rc = withUnsafeMutablePointer(to: &inode) { large in
            large.withMemoryRebound(to: ext2_inode.self, capacity: 1) { small in
                ext2fs_read_inode_full(fs, entry.inode, small, Int32(MemoryLayout<ext2_inode_large>.size))
            }
        }
        try handle.check(rc, "read inode \(entry.inode)")
        let mode = UInt32(inode.i_mode)
        if entry.fileType == UInt8(EXT2_FT_UNKNOWN) && cext2fs_s_isdir(mode) != 0 {
            if depth + 1 < Ext4FileSystem.maxDirectoryDepth, visited.insert(entry.inode).inserted {
                stack.append((directory.appending(GuestName(bytes: entry.name)), entry.inode, depth + 1))
            }
            return
        }
        guard cext2fs_s_isreg(mode) != 0 else { return }
        let size = UInt64(inode.i_size) | (UInt64(inode.i_size_high) << 32)
        guard size >= limits.smallestFile, size > 0 else { return }
        guard size <= limits.largestFile else {
            progress.skippedLarge += 1
            return
        }
        let wanted = Int(min(size, UInt64(limits.headBytes)))
        let blocks = (wanted + blockSize - 1) / blockSize
        if let first = firstRun(of: inode, blocks: blocks) {
            pending.append(
                Pending(
                    directory: directory, name: entry.name, inode: entry.inode, size: size, firstBlock: first,
                    blocks: blocks))
            return
        }
        // Inline data, a hole or an unwritten extent at the start, a deeper extent tree: libext2fs reads it.
        let head = try filesystem.readHead(inode: entry.inode, count: wanted)
        progress.filesRead += 1
        progress.bytesRead += head.count
        progress.deviceBytesRead += head.count
        progress.deviceReads += 1
        visit(
            FileHead(
                directory: directory, name: GuestName(bytes: entry.name), inode: entry.inode, size: size, head: head))
    }

    /// The first physical block of the file's first `blocks` blocks when they are one written run on disk
    /// inside the filesystem: from the inode's own extent leaf (depth 0) or its direct block map.
    func firstRun(of inode: ext2_inode_large, blocks: Int) -> UInt64? {
        let flags = inode.i_flags
        if flags & UInt32(EXT4_INLINE_DATA_FL) != 0 { return nil }
        // i_block's 15 words, as stored (little-endian), read in place.
        return withUnsafeBytes(of: inode.i_block) { raw in
            func word(_ index: Int) -> UInt32 {
                UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
            }
            return firstRun(flags: flags, word: word, blocks: blocks)
        }
    }

    /// ``firstRun(of:blocks:)`` over the words of `i_block`.
    func firstRun(flags: UInt32, word: (Int) -> UInt32, blocks: Int) -> UInt64? {
        let (header, depthWord, logical, lengthWord, startLow) = (word(0), word(1), word(3), word(4), word(5))
        var start: UInt64
        if flags & UInt32(EXT4_EXTENTS_FL) != 0 {
            let magic = UInt16(truncatingIfNeeded: header), entries = UInt16(truncatingIfNeeded: header >> 16)
            let depth = UInt16(truncatingIfNeeded: depthWord >> 16)
            guard magic == 0xF30A, depth == 0, entries >= 1, entries <= 4 else { return nil }
            // Leaf entries: ee_block (u32), ee_len (u16), ee_start_hi (u16), ee_start_lo (u32); the first one
            // must map logical block 0 with enough initialized blocks.
            let length = UInt16(truncatingIfNeeded: lengthWord),
                startHigh = UInt16(truncatingIfNeeded: lengthWord >> 16)
            guard logical == 0, length <= 32768, Int(length) >= blocks else { return nil }
            start = (UInt64(startHigh) << 32) | UInt64(startLow)
        } else {
            guard blocks <= 12 else { return nil }
            start = UInt64(header)
            for index in 1..<max(blocks, 1) where UInt64(word(index)) != start + UInt64(index) { return nil }
        }
        guard start > 0, start < blockCount, UInt64(blocks) <= blockCount - start else { return nil }
        return start
    }

    /// Reads the heads of the queued files in runs of neighbouring blocks, and visits each.
    mutating func flush(_ visit: (FileHead) -> Void) throws(Ext4Error) {
        guard !pending.isEmpty else { return }
        let files = pending.sorted { $0.firstBlock < $1.firstBlock }
        pending.removeAll(keepingCapacity: true)
        let maxRunBlocks = UInt64(max(Self.maxRunBytes / blockSize, 1))
        var index = 0
        var buffer: [UInt8] = []
        while index < files.count {
            if stopped { return }
            let runStart = files[index].firstBlock
            var runEnd = runStart + UInt64(files[index].blocks)
            var last = index + 1
            while last < files.count {
                let next = files[last]
                let end = max(runEnd, next.firstBlock + UInt64(next.blocks))
                guard next.firstBlock <= runEnd + Self.gapBlocks, end - runStart <= maxRunBlocks else { break }
                runEnd = end
                last += 1
            }
            let count = Int(runEnd - runStart)
            if buffer.count < count * blockSize { buffer = [UInt8](repeating: 0, count: count * blockSize) }
            let rc = buffer.withUnsafeMutableBytes { raw in
                io_channel_read_blk64(fs.pointee.io, runStart, Int32(count), raw.baseAddress)
            }
            try handle.check(rc, "read blocks \(runStart)-\(runEnd - 1)")
            progress.deviceBytesRead += count * blockSize
            progress.deviceReads += 1
            for file in files[index..<last] {
                let offset = Int(file.firstBlock - runStart) * blockSize
                let length = Int(min(file.size, UInt64(limits.headBytes)))
                progress.filesRead += 1
                progress.bytesRead += length
                visit(
                    FileHead(
                        directory: file.directory, name: GuestName(bytes: file.name), inode: file.inode,
                        size: file.size,
                        head: Array(buffer[offset..<offset + length])))
            }
            index = last
        }
    }
}
