/// A quota file (the "vfsv1" format ext4 keeps in its hidden quota inodes): usage and limits per user or group
/// id, in a radix tree of 1 KiB blocks. Read, usage rewritten in place, written back block by block.
///
/// Byte layout (little-endian), block 0:
///
/// | offset | size | field | meaning |
/// |---|---|---|---|
/// | 0 | 4 | `dqh_magic` | 0xD9C01F11 user, 0xD9C01927 group, 0xD9C03F14 project |
/// | 4 | 4 | `dqh_version` | 1 |
/// | 8 | 24 | info | grace times, flags, blocks, free lists |
///
/// Block 1 is the tree's root; a tree block holds 256 `u32` block numbers, indexed at depth d (0...3) by byte
/// 3−d of the id; the depth-3 reference is a data block: a 16-byte header then 14 entries of 72 bytes:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | `dqb_id` |
/// | 8, 16 | 8 each | inode hard and soft limits |
/// | 24 | 8 | `dqb_curinodes`: inodes in use |
/// | 32, 40 | 8 each | space hard and soft limits |
/// | 48 | 8 | `dqb_curspace`: bytes in use |
/// | 56, 64 | 8 each | grace deadlines |
///
/// An entry of all zeros is free.
struct QuotaFile {
    static let blockSize = 1024
    static let entrySize = 72
    static let entriesPerBlock = (blockSize - 16) / entrySize

    private(set) var bytes: [UInt8]
    /// Byte offset of each id's entry.
    private(set) var entries: [UInt32: Int] = [:]
    /// Quota blocks changed by ``setUsage(of:inodes:space:)``.
    private(set) var changedBlocks: Set<Int> = []

    /// Parses a quota file.
    ///
    /// - Throws: ``Ext4Error/Code/corrupt`` naming `name` and the block at fault: a wrong magic or version, a
    ///   reference outside the file, a tree that loops.
    init(parsing bytes: [UInt8], magic: UInt32, name: String) throws(Ext4Error) {
        self.bytes = bytes
        func fail(_ why: String) -> Ext4Error { Ext4Error(.corrupt, "the \(name) quota file: \(why)") }
        guard bytes.count >= 2 * Self.blockSize, Self.u32(bytes, 0) == magic, Self.u32(bytes, 4) == 1 else {
            throw fail("no vfsv1 header (magic 0x\(String(magic, radix: 16)), version 1) in block 0")
        }
        let blocks = bytes.count / Self.blockSize
        var visited = Set<Int>()
        var pending: [(block: Int, depth: Int)] = [(1, 0)]
        while let (block, depth) = pending.popLast() {
            guard block > 0, block < blocks else { throw fail("a reference to block \(block), past the file") }
            // Data blocks are shared by the ids whose paths part only at the last level; tree blocks are not.
            guard visited.insert(block).inserted else {
                if depth == 4 { continue }
                throw fail("tree block \(block) is referenced twice")
            }
            let base = block * Self.blockSize
            if depth == 4 {
                for slot in 0..<Self.entriesPerBlock {
                    let offset = base + 16 + slot * Self.entrySize
                    guard bytes[offset..<(offset + Self.entrySize)].contains(where: { $0 != 0 }) else { continue }
                    entries[Self.u32(bytes, offset)] = offset
                }
                continue
            }
            for slot in 0..<256 {
                let next = Int(Self.u32(bytes, base + 4 * slot))
                if next != 0 { pending.append((next, depth + 1)) }
            }
        }
    }

    /// Sets the usage of `id`; false when the file has no entry for it.
    mutating func setUsage(of id: UInt32, inodes: UInt64, space: UInt64) -> Bool {
        guard let offset = entries[id] else { return false }
        if Self.u64(bytes, offset + 24) != inodes || Self.u64(bytes, offset + 48) != space {
            Self.put(&bytes, offset + 24, inodes)
            Self.put(&bytes, offset + 48, space)
            changedBlocks.insert(offset / Self.blockSize)
        }
        return true
    }

    /// Adds an empty entry for `id` (its tree path and data block made as the kernel's quota tree code makes
    /// them: blocks from the free list or appended, a data block with free entries reused) and returns its offset.
    ///
    /// - Throws: ``Ext4Error/Code/corrupt`` when the tree or its free lists point outside the file.
    mutating func insert(_ id: UInt32, name: String) throws(Ext4Error) -> Int {
        if let known = entries[id] { return known }
        var block = 1
        for depth in 0..<4 {
            let slot = block * Self.blockSize + 4 * Int((id >> (8 * UInt32(3 - depth))) & 0xFF)
            var next = Int(Self.u32(bytes, slot))
            if next == 0 {
                next = depth == 3 ? try dataBlockWithRoom(name) : try freshBlock(name)
                setU32(slot, UInt32(next))
            }
            guard next > 0, (next + 1) * Self.blockSize <= bytes.count else {
                throw Ext4Error(.corrupt, "the \(name) quota file: a reference to block \(next), past the file")
            }
            block = next
        }
        // `block` is the data block: take its first free slot.
        let base = block * Self.blockSize
        for slot in 0..<Self.entriesPerBlock {
            let offset = base + 16 + slot * Self.entrySize
            guard !bytes[offset..<(offset + Self.entrySize)].contains(where: { $0 != 0 }) else { continue }
            setU32(offset, id)
            if id == 0 { Self.put(&bytes, offset + 64, 1) }  // never all zeros (the kernel's mark of a used entry)
            let count = Int(Self.u32(bytes, base + 8) & 0xFFFF) + 1
            bytes[base + 8] = UInt8(truncatingIfNeeded: count)
            bytes[base + 9] = UInt8(truncatingIfNeeded: count >> 8)
            changedBlocks.insert(block)
            if count >= Self.entriesPerBlock { unlinkFromFreeEntries(block) }
            entries[id] = offset
            return offset
        }
        throw Ext4Error(.corrupt, "the \(name) quota file: data block \(block) is on the tree but has no free entry")
    }

    /// A zeroed block: the first of the free-block list, or a new one at the end of the file.
    private mutating func freshBlock(_ name: String) throws(Ext4Error) -> Int {
        let free = Int(Self.u32(bytes, 24))
        let block: Int
        if free != 0 {
            guard (free + 1) * Self.blockSize <= bytes.count else {
                throw Ext4Error(
                    .corrupt, "the \(name) quota file: its free-block list points at block \(free), past the file")
            }
            block = free
            setU32(24, Self.u32(bytes, free * Self.blockSize))  // dqdh_next_free
            bytes.replaceSubrange(
                (free * Self.blockSize)..<((free + 1) * Self.blockSize),
                with: [UInt8](repeating: 0, count: Self.blockSize))
        } else {
            block = bytes.count / Self.blockSize
            bytes += [UInt8](repeating: 0, count: Self.blockSize)
            setU32(20, UInt32(block + 1))  // dqi_blocks
        }
        changedBlocks.insert(block)
        return block
    }

    /// The data block at the head of the free-entry list, or a fresh one put there.
    private mutating func dataBlockWithRoom(_ name: String) throws(Ext4Error) -> Int {
        let head = Int(Self.u32(bytes, 28))
        if head != 0 {
            guard (head + 1) * Self.blockSize <= bytes.count else {
                throw Ext4Error(
                    .corrupt, "the \(name) quota file: its free-entry list points at block \(head), past the file")
            }
            return head
        }
        let block = try freshBlock(name)
        setU32(28, UInt32(block))  // dqi_free_entry
        return block
    }

    /// Takes a full data block off the free-entry list.
    private mutating func unlinkFromFreeEntries(_ block: Int) {
        let base = block * Self.blockSize
        let next = Int(Self.u32(bytes, base))
        let previous = Int(Self.u32(bytes, base + 4))
        if next != 0, (next + 1) * Self.blockSize <= bytes.count {
            setU32(next * Self.blockSize + 4, UInt32(previous))
        }
        if previous != 0, (previous + 1) * Self.blockSize <= bytes.count {
            setU32(previous * Self.blockSize, UInt32(next))
        } else {
            setU32(28, UInt32(next))
        }
        setU32(base, 0)
        setU32(base + 4, 0)
    }

    /// Stores `value` at `offset` and marks its block changed.
    private mutating func setU32(_ offset: Int, _ value: UInt32) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
        changedBlocks.insert(offset / Self.blockSize)
    }

    static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        guard offset >= 0, offset + 4 <= bytes.count else { return 0 }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }

    static func u64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        UInt64(u32(bytes, offset)) | UInt64(u32(bytes, offset + 4)) << 32
    }

    private static func put(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt64) {
        for index in 0..<8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
    }
}
