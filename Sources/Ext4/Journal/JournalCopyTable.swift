/// Home block → latest copy in the journal, for every block a replay writes: sorted parallel arrays looked up
/// by binary search.
///
/// A journal of 1 GiB names some 250,000 distinct blocks; a dictionary of them costs about 40 bytes an entry
/// (buckets at most three quarters full, rounded up to a power of two), this table 12 bytes and a bit: the
/// home block (8), the journal block of the copy (4) and whether the copy is escaped (one bit).
struct JournalCopyTable: Equatable, Sendable {
    /// Home blocks, ascending, each once.
    private(set) var homes: [UInt64] = []
    /// The journal block holding the copy of `homes[i]`.
    private(set) var positions: [UInt32] = []
    /// Bit `i` set: the copy of `homes[i]` is escaped (its first four bytes are to be set back to the magic).
    private var escapedBits: [UInt64] = []
    /// For a plan whose copies are checked when read: the transaction and tag checksum of the copy of
    /// `homes[i]`, as `transaction << 32 | checksum`; empty when the scan checked every copy.
    private var checks: [UInt64] = []

    /// Distinct blocks in the table.
    var count: Int { homes.count }
    var isEmpty: Bool { homes.isEmpty }

    /// Appends the copy of `home`, which must be larger than every home already in the table; `check`: what the
    /// copy is to be checked against when read (nil when it was checked already). A table holds copies of one
    /// kind only: all with a check or all without.
    mutating func append(home: UInt64, copy: JournalCopy, check: JournalCopyCheck? = nil) {
        precondition(homes.last.map { $0 < home } ?? true, "journal copies appended out of order")
        precondition(check == nil ? checks.isEmpty : checks.count == homes.count, "checked and unchecked copies mixed")
        let index = homes.count
        homes.append(home)
        positions.append(copy.position)
        if index % 64 == 0 { escapedBits.append(0) }
        if copy.escaped { escapedBits[index / 64] |= 1 << UInt64(index % 64) }
        if let check { checks.append(UInt64(check.transaction) << 32 | UInt64(check.checksum)) }
    }

    /// Reserves room for `count` copies.
    mutating func reserveCapacity(_ count: Int) {
        homes.reserveCapacity(count)
        positions.reserveCapacity(count)
        escapedBits.reserveCapacity((count + 63) / 64)
    }

    /// The copy at `index` (0 ..< ``count``).
    func copy(at index: Int) -> JournalCopy {
        JournalCopy(position: positions[index], escaped: escapedBits[index / 64] & (1 << UInt64(index % 64)) != 0)
    }

    /// What the copy at `index` is to be checked against when read; nil when the scan checked it.
    func check(at index: Int) -> JournalCopyCheck? {
        guard index < checks.count else { return nil }
        return JournalCopyCheck(
            transaction: UInt32(truncatingIfNeeded: checks[index] >> 32),
            checksum: UInt32(truncatingIfNeeded: checks[index]))
    }

    /// The latest copy of `home`, or nil when the replay does not write it.
    subscript(home: UInt64) -> JournalCopy? {
        index(of: home).map { copy(at: $0) }
    }

    /// The index of `home` in the table, or nil when the replay does not write it.
    func index(of home: UInt64) -> Int? {
        let index = firstIndex(atOrAfter: home)
        guard index < homes.count, homes[index] == home else { return nil }
        return index
    }

    /// The index of the first home that is `home` or larger (``count`` when there is none).
    func firstIndex(atOrAfter home: UInt64) -> Int { homes.lowerBound(of: home) }

    /// The smallest home that is `home` or larger, or nil when there is none.
    func nextHome(atOrAfter home: UInt64) -> UInt64? {
        let index = firstIndex(atOrAfter: home)
        return index < homes.count ? homes[index] : nil
    }

    /// The table's indices in the order of their copies in the journal (log order: one pass over the journal
    /// reads them all), as 4-byte indices.
    func indicesByPosition() -> [UInt32] {
        // Position and index packed in one word, so that the sort compares integers, not through a closure.
        var keys = positions.indices.map { UInt64(positions[$0]) << 32 | UInt64($0) }
        keys.sort()
        return keys.map { UInt32(truncatingIfNeeded: $0) }
    }
}

/// What a copy whose checksum the scan did not check is checked against when it is read: its transaction (the
/// checksum's seed) and its descriptor tag's checksum.
struct JournalCopyCheck: Equatable, Sendable {
    var transaction: UInt32
    var checksum: UInt32

    /// Whether `copy` (the journal block as stored, still escaped) matches, in the journal of `superblock`.
    func matches(_ copy: ArraySlice<UInt8>, superblock sb: JournalSuperblock) -> Bool {
        JournalBlockTag.copy(
            copy, hasChecksum: checksum, transactionSeed: JournalBlockTag.transactionSeed(transaction, superblock: sb),
            superblock: sb)
    }

    /// The error for `copy` of filesystem block `home` failing its checksum: the journal cannot be replayed as
    /// it stands (a writing replay refuses it; e2fsck replays the rest and leaves this block as it was).
    func mismatch(home: UInt64, position: UInt32) -> String {
        "journal block \(position), the copy of filesystem block \(home) in transaction \(transaction): its "
            + "checksum does not match the descriptor's tag, so the journal cannot be replayed as it stands "
            + "(`vhdedit recover` refuses it; e2fsck replays the other blocks and leaves this one as it was)"
    }
}

extension Array where Element == UInt64 {
    /// The index of the first of these ascending values that is `value` or larger (`count` when there is none):
    /// a binary search.
    func lowerBound(of value: UInt64) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
