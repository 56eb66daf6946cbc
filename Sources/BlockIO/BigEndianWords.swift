internal import HostSystem

/// Arrays of 32-bit big-endian words (a VHD's Block Allocation Table) decoded and scanned by the C shim a word at
/// a time: a 1 TiB dynamic VHD's table has 524,288 entries, nearly all of them unallocated.
enum BigEndianWords {
    /// The `bytes.count / 4` big-endian words of `bytes`, in host order.
    static func decode(_ bytes: [UInt8]) -> [UInt32] {
        let count = bytes.count / 4
        return [UInt32](unsafeUninitializedCapacity: count) { words, initialized in
            if count > 0 {
                bytes.withUnsafeBytes { raw in
                    BigEndianWordScan.decode(raw.baseAddress!, into: words.baseAddress!, count: count)
                }
            }
            initialized = count
        }
    }

    /// Reads `count` big-endian words at `offset` of `store` straight into the returned array (no byte copy of
    /// them is kept), or throws ``BlockIOError/Code/truncated`` naming `structure`.
    static func read(
        from store: any ByteStore, at offset: UInt64, count: Int, structure: String
    )
        throws(BlockIOError) -> [UInt32]
    {
        var got = 0
        var failure: BlockIOError?
        let words = [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(BlockIOError) {
                got = try store.read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
            }
            guard failure == nil, got == 4 * count else {
                initialized = 0
                return
            }
            if count > 0 {
                BigEndianWordScan.decode(UnsafeRawPointer(buffer.baseAddress!), into: buffer.baseAddress!, count: count)
            }  // in place
            initialized = count
        }
        if let failure { throw failure }
        guard got == 4 * count else {
            throw BlockIOError(
                .truncated, "file ends inside the \(structure) (wanted \(4 * count) bytes, got \(got))",
                path: store.path, offset: offset)
        }
        return words
    }

    /// The indices of the words of `words` that are not `0xFFFFFFFF`, in order.
    static func positions(notEqualToAllOnes words: [UInt32]) -> [Int] {
        words.withUnsafeBufferPointer { buffer -> [Int] in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return [] }
            var capacity = 256
            while true {
                var total = 0
                let found = [Int](unsafeUninitializedCapacity: capacity) { out, initialized in
                    total = BigEndianWordScan.positions(
                        notEqualToAllOnesIn: base, count: buffer.count, into: out.baseAddress!, capacity: capacity)
                    initialized = min(total, capacity)
                }
                if total <= capacity { return found }
                capacity = total
            }
        }
    }
}
