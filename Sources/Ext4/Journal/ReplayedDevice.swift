import BlockIO

/// A filesystem's device seen as it is once its journal is replayed, without writing anything: each block a
/// committed transaction wrote reads from its latest copy in the journal, the superblock reads with
/// `needs_recovery` clear and the journal superblock reads as an empty log.
///
/// Only positions are held (home block → journal block), never copies of the data, so memory does not grow
/// with the journal. Read-only.
///
/// A copy the log's scan did not check (``JournalCopyTable/check(at:)``) is checked against its tag's
/// checksum each time it is read; one that fails is an error (``BlockIOError/Code/checksumMismatch``), never
/// its bytes: what the read asked for is not what the kernel or e2fsck would leave there.
final class ReplayedDevice: BlockDevice {
    let base: any BlockDevice
    private let blockSize: UInt64
    private let copies: JournalCopyTable
    private let map: JournalBlockMap
    /// The journal's superblock (the seed of the copies' checksums).
    private let journal: JournalSuperblock
    /// Whole blocks that read from memory (the two superblocks).
    private let patches: [UInt64: [UInt8]]

    init(
        base: any BlockDevice, blockSize: Int, copies: JournalCopyTable, map: JournalBlockMap,
        journal: JournalSuperblock, patches: [UInt64: [UInt8]]
    ) {
        self.base = base
        self.blockSize = UInt64(blockSize)
        self.copies = copies
        self.map = map
        self.journal = journal
        self.patches = patches
    }

    var size: UInt64 { base.size }
    var isWritable: Bool { false }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count)
        var done = 0
        while done < buffer.count {
            let position = offset + UInt64(done)
            let block = position / blockSize
            let within = Int(position % blockSize)
            let take = min(Int(blockSize) - within, buffer.count - done)
            let piece = UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + take)])
            if let patch = patches[block] {
                patch.withUnsafeBytes {
                    piece.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[within..<(within + take)]))
                }
                done += take
            } else if let index = copies.index(of: block) {
                let copy = copies.copy(at: index)
                guard let source = map.physical(UInt64(copy.position)) else {
                    throw BlockIOError(
                        .outOfBounds, "journal block \(copy.position) is past the journal", offset: position)
                }
                if let check = copies.check(at: index) {
                    // The whole copy, to check it, then the piece asked for.
                    let whole = try base.read(at: source * blockSize, count: Int(blockSize))
                    guard check.matches(whole[...], superblock: journal) else {
                        throw BlockIOError(
                            .checksumMismatch, check.mismatch(home: block, position: copy.position), offset: position)
                    }
                    whole.withUnsafeBytes {
                        piece.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[within..<(within + take)]))
                    }
                } else {
                    try base.read(at: source * blockSize + UInt64(within), into: piece)
                }
                if copy.escaped && within < 4 {
                    let magic: [UInt8] = [0xC0, 0x3B, 0x39, 0x98]
                    for index in within..<min(4, within + take) { piece[index - within] = magic[index] }
                }
                done += take
            } else {
                // Unreplayed blocks read straight through, as one request up to the next replayed block.
                let nextCopy = copies.nextHome(atOrAfter: block + 1) ?? UInt64.max
                var length = take
                var next = block + 1
                while done + length < buffer.count, next < nextCopy, patches[next] == nil {
                    length += min(Int(blockSize), buffer.count - done - length)
                    next += 1
                }
                try base.read(
                    at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + length)]))
                done += length
            }
        }
    }

    func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        throw BlockIOError(.readOnly, "the replayed view of a journal is read-only", offset: offset)
    }

    func flush() throws(BlockIOError) {}

    /// Writes every replayed block and both superblocks onto `device` (the view's own base, opened writable):
    /// the replay made permanent, as the kernel or e2fsck would write it. The copies are read in log order,
    /// a window of the journal at a time, and each is written as soon as it is read: nothing is held but the
    /// window.
    func apply(to device: any BlockDevice) throws(Ext4Error) {
        let source = DeviceJournalSource(device: base, map: map, journalBlockSize: Int(blockSize))
        // The table's indices in log order (4 bytes a copy: a 1 GiB log names 250,000 blocks).
        let magic: [UInt8] = [0xC0, 0x3B, 0x39, 0x98]
        for index in copies.indicesByPosition().lazy.map({ Int($0) }) {
            let home = copies.homes[index]
            guard patches[home] == nil else { continue }
            let copy = copies.copy(at: index)
            var block = Array(try source.readJournalBlock(copy.position))
            if let check = copies.check(at: index), !check.matches(block[...], superblock: journal) {
                throw Ext4Error(.journal, check.mismatch(home: home, position: copy.position))
            }
            if copy.escaped { block.replaceSubrange(0..<4, with: magic) }
            try Self.write(block, home: home, blockSize: blockSize, on: device)
        }
        for (home, bytes) in patches.sorted(by: { $0.key < $1.key }) {
            try Self.write(bytes, home: home, blockSize: blockSize, on: device)
        }
    }

    private static func write(
        _ bytes: [UInt8], home: UInt64, blockSize: UInt64, on device: any BlockDevice
    )
        throws(Ext4Error)
    {
        do {
            try device.write(at: home * blockSize, bytes: bytes)
        } catch {
            throw Ext4Error(.io, "cannot write the journal replay (filesystem block \(home))", underlying: error)
        }
    }
}
