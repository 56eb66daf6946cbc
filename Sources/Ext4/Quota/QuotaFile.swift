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
