/// Whether libblkid's ZFS prober could match a volume, decided from the bytes the probe copies.
///
/// The prober (`zfs_member`) reads the four 256 KiB vdev labels — two at the start, two at the end, the end ones
/// moved down by `size % 256 KiB` — and matches only when it finds the uberblock magic (`0x00bab10c`, either byte
/// order) in the first 8 bytes of some of the 128 one-KiB uberblock slots in the second half of each label. It
/// reads a full 256 KiB per label: a megabyte of copying and 256 freshly faulted pages on every probe, a sixth of a
/// small `vhdedit cat`, spent on disks that are never ZFS.
///
/// ``FilesystemProbe`` passes every chunk it copies into the memory file through ``scan(_:at:)``. When no slot
/// of any label holds the magic in the copied bytes (everything else reads as zeros), the prober cannot match,
/// so leaving it out (``mayMatch`` false) gives exactly the answer libblkid gives with it. When the magic appears
/// anywhere, the probe keeps the prober and libblkid decides as always.
struct ZFSUberblockScan {
    /// A vdev label's size.
    static let labelSize: UInt64 = 256 << 10
    /// Where the uberblock slots start inside a label.
    static let slotsOffset: UInt64 = 128 << 10
    /// One uberblock slot.
    static let slotSize: UInt64 = 1 << 10
    /// The uberblock magic `0x00bab10c` as a 64-bit word stored little-endian, and big-endian (a big-endian pool).
    static let magics: [[UInt8]] = [[0x0c, 0xb1, 0xba, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0xba, 0xb1, 0x0c]]

    /// The byte ranges of the volume holding uberblock slots (the second half of each label).
    private let slotAreas: [(start: UInt64, end: UInt64)]

    /// True once a slot with the magic was seen.
    private(set) var mayMatch = false

    /// The label layout of a volume of `volumeSize` bytes, as libblkid computes it.
    init(volumeSize: UInt64) {
        let label = Self.labelSize
        let misalignment = volumeSize % label
        var labels: [UInt64] = [0, label]
        if volumeSize >= 2 * label + misalignment {
            labels.append(volumeSize - 2 * label - misalignment)
            labels.append(volumeSize - label - misalignment)
        }
        slotAreas = labels.map { (start: $0 + Self.slotsOffset, end: $0 + label) }
            .filter { $0.end <= volumeSize }
    }

    /// Looks for the magic in the slots that lie wholly inside `chunk`, which holds the volume bytes at `offset`.
    mutating func scan(_ chunk: [UInt8], at offset: UInt64) {
        guard !mayMatch else { return }
        let chunkEnd = offset + UInt64(chunk.count)
        for area in slotAreas where area.start < chunkEnd && offset < area.end {
            // The first slot at or after the chunk's start (slots are 1 KiB apart from the area's start).
            var slot = area.start
            if slot < offset { slot += (offset - area.start + Self.slotSize - 1) / Self.slotSize * Self.slotSize }
            while slot < area.end, slot + 8 <= chunkEnd {
                let at = Int(slot - offset)
                if Self.magics.contains(where: { chunk.holds($0, at: at) }) {
                    mayMatch = true
                    return
                }
                slot += Self.slotSize
            }
        }
    }
}

extension [UInt8] {
    /// Whether the bytes at `index` are `pattern` (which must fit).
    func holds(_ pattern: [UInt8], at index: Int) -> Bool {
        for (position, byte) in pattern.enumerated() where self[index + position] != byte { return false }
        return true
    }
}
