/// Whether libblkid's external-XFS-log prober could match a volume, decided from the bytes the probe copies.
///
/// The prober (`xfs_external_log`) reads the first 256 KiB of a volume and matches only when one of its 512
/// sectors starts with a log record header, whose first four bytes are the magic `FE ED BA BE`. Reading those
/// 256 KiB costs a quarter megabyte of copying and 64 freshly faulted pages on every probe.
///
/// ``FilesystemProbe`` passes every chunk it copies into the memory file through ``scan(_:at:)``; when no
/// sector start in the first 256 KiB holds the magic in the copied bytes (everything else reads as zeros), the
/// prober cannot match and is left out (``mayMatch`` false), with the same answer from libblkid.
struct XFSLogRecordScan {
    /// The bytes the prober reads.
    static let scannedBytes: UInt64 = 256 << 10
    /// The log record header magic, as stored (big-endian).
    static let magic: [UInt8] = [0xFE, 0xED, 0xBA, 0xBE]

    /// True once a sector start with the magic was seen.
    private(set) var mayMatch = false

    /// Looks for the magic at the sector starts inside `chunk`, which holds the volume bytes at `offset`.
    mutating func scan(_ chunk: [UInt8], at offset: UInt64) {
        guard !mayMatch, offset < Self.scannedBytes else { return }
        // The first sector start at or after the chunk's start.
        var sector = (offset + 511) / 512 * 512
        let end = min(offset + UInt64(chunk.count), Self.scannedBytes)
        while sector + 4 <= offset + UInt64(chunk.count), sector < end {
            if chunk.holds(Self.magic, at: Int(sector - offset)) {
                mayMatch = true
                return
            }
            sector += 512
        }
    }
}
