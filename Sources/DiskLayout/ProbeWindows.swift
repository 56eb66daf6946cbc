/// The byte ranges of a volume that libblkid gets to see: what ``FilesystemProbe`` copies into the memory file
/// it probes.
///
/// libblkid only reads from a file descriptor, and a dynamic or differencing VHD is not a flat file, so the probe
/// hands libblkid a sparse in-memory file the size of the volume holding copies of these ranges (everything else
/// reads as zeros):
///
/// - the **head**, the first ``headBytes`` (2 MiB): every superblock libblkid looks for near the start — ext2/3/4
///   (1 KiB), xfs (0), btrfs (64 KiB), swap (up to 64 KiB pages), LVM2 labels (sectors 0–3), vfat/exFAT/NTFS
///   boot sectors, md 1.1/1.2 (0, 4 KiB), ZFS labels 0–1 (0, 256 KiB), iso9660/UDF (32 KiB), ReiserFS, JFS, f2fs, LUKS;
/// - the **tail**, the last ``tailBytes`` (1 MiB): md 0.90/1.0 superblocks, ZFS labels 2–3, nilfs2 and UDF
///   backup anchors;
/// - **format windows** found by reading the head: the FAT12/16 root directory, the FAT32 and exFAT root
///   directory cluster (where vfat/exFAT volume labels live, which can lie past 2 MiB on a large FAT32), and the
///   first NTFS MFT records (the NTFS prober checks them and reads the `$Volume` label there).
///
/// On an LVM2 physical volume the head stops where its first extent starts (`pe_start`): the bytes past it
/// belong to logical volumes, which are probed on their own, and copying them twice would only cost time.
///
/// The limit of the design: a prober that reads some other place of a volume sees zeros there. For the
/// filesystems a Linux VM disk holds this does not happen; the windows are capped at ``windowLimit`` each.
struct ProbeWindows {
    /// The head copied: 2 MiB.
    static let headBytes: UInt64 = 2 << 20
    /// The tail copied: 1 MiB.
    static let tailBytes: UInt64 = 1 << 20
    /// The largest format window: 1 MiB.
    static let windowLimit: UInt64 = 1 << 20

    /// One range of the windows, as a struct: an array of `Range<UInt64>` needs that type's metadata, whose
    /// first instantiation made the Swift runtime scan every protocol-conformance record of the binary (a tenth
    /// of a small `cat`'s start-up).
    struct Span: Equatable {
        /// The first byte.
        var lowerBound: UInt64
        /// The byte after the last.
        var upperBound: UInt64
    }

    /// The ranges, sorted and merged, all inside `0..<volumeSize`.
    let spans: [Span]

    /// ``spans`` as ranges.
    var ranges: [Range<UInt64>] { spans.map { $0.lowerBound..<$0.upperBound } }

    /// The ranges for a volume of `volumeSize` bytes whose first sector is `bootSector` (512 bytes or fewer
    /// when the volume is smaller), with a head of `headBytes` (at most ``headBytes``).
    init(volumeSize: UInt64, bootSector: [UInt8], headBytes: UInt64 = ProbeWindows.headBytes) {
        var wanted = [Span(lowerBound: 0, upperBound: min(volumeSize, headBytes, Self.headBytes))]
        wanted.append(Span(lowerBound: volumeSize - min(volumeSize, Self.tailBytes), upperBound: volumeSize))
        if let window = Self.fatRootDirectory(bootSector) ?? Self.exfatRootDirectory(bootSector)
            ?? Self.ntfsMFT(bootSector)
        {
            wanted.append(Span(lowerBound: window.lowerBound, upperBound: window.upperBound))
        }
        let clipped = wanted.compactMap { span -> Span? in
            let upper = min(span.upperBound, volumeSize)
            let lower = min(span.lowerBound, upper)
            return lower < upper ? Span(lowerBound: lower, upperBound: upper) : nil
        }.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [Span] = []
        for span in clipped {
            if let last = merged.last, span.lowerBound <= last.upperBound {
                merged[merged.count - 1].upperBound = max(last.upperBound, span.upperBound)
            } else {
                merged.append(span)
            }
        }
        spans = merged
    }

    /// The total number of bytes copied.
    var byteCount: UInt64 { spans.reduce(0) { $0 + ($1.upperBound - $1.lowerBound) } }

    // MARK: Format windows (bounded arithmetic on untrusted boot sectors)

    private static func u16(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        offset + 2 <= bytes.count ? UInt64(bytes[offset]) | UInt64(bytes[offset + 1]) << 8 : 0
    }

    private static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        offset + 4 <= bytes.count ? u16(bytes, offset) | u16(bytes, offset + 2) << 16 : 0
    }

    private static func u64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        offset + 8 <= bytes.count ? u32(bytes, offset) | u32(bytes, offset + 4) << 32 : 0
    }

    private static func window(at start: UInt64, length: UInt64) -> Range<UInt64>? {
        guard length > 0, start < UInt64.max - windowLimit else { return nil }
        return start..<(start + min(length, windowLimit))
    }

    private static func matches(_ bytes: [UInt8], _ offset: Int, _ text: String) -> Bool {
        let expected = Array(text.utf8)
        return offset + expected.count <= bytes.count && Array(bytes[offset..<offset + expected.count]) == expected
    }

    /// FAT12/16: the fixed root directory after the FATs; FAT32: the first cluster of the root directory.
    static func fatRootDirectory(_ sector: [UInt8]) -> Range<UInt64>? {
        guard sector.count >= 512, sector[510] == 0x55, sector[511] == 0xAA,
            matches(sector, 54, "FAT") || matches(sector, 82, "FAT32")
        else { return nil }
        let bytesPerSector = u16(sector, 11)
        let sectorsPerCluster = UInt64(sector[13])
        let reserved = u16(sector, 14)
        let fatCount = UInt64(sector[16])
        let rootEntries = u16(sector, 17)
        guard [512, 1024, 2048, 4096].contains(bytesPerSector), sectorsPerCluster > 0, fatCount > 0, fatCount <= 4
        else { return nil }
        let fatSectors16 = u16(sector, 22)
        let fatSectors = fatSectors16 != 0 ? fatSectors16 : u32(sector, 36)
        let firstAfterFATs = reserved + fatCount * fatSectors  // ≤ 2^16 + 4·2^32: no overflow
        if rootEntries != 0 {
            return window(at: firstAfterFATs * bytesPerSector, length: rootEntries * 32)
        }
        let rootCluster = u32(sector, 44)
        guard rootCluster >= 2 else { return nil }
        let sector0 = firstAfterFATs + (rootCluster - 2) * sectorsPerCluster
        return window(at: sector0 * bytesPerSector, length: sectorsPerCluster * bytesPerSector)
    }

    /// exFAT: the first cluster of the root directory (which holds the volume label entry).
    static func exfatRootDirectory(_ sector: [UInt8]) -> Range<UInt64>? {
        guard sector.count >= 512, matches(sector, 3, "EXFAT   ") else { return nil }
        let heapOffset = u32(sector, 88)
        let rootCluster = u32(sector, 96)
        let sectorShift = sector.count > 108 ? UInt64(sector[108]) : 0
        let clusterShift = sector.count > 109 ? UInt64(sector[109]) : 0
        guard rootCluster >= 2, (9...12).contains(sectorShift), clusterShift <= 16 else { return nil }
        let start = (heapOffset + ((rootCluster - 2) << clusterShift)) << sectorShift
        return window(at: start, length: 1 << (sectorShift + clusterShift))
    }

    /// NTFS: the first 16 MFT records (record 3, `$Volume`, holds the label).
    static func ntfsMFT(_ sector: [UInt8]) -> Range<UInt64>? {
        guard sector.count >= 512, matches(sector, 3, "NTFS    ") else { return nil }
        let bytesPerSector = u16(sector, 11)
        let rawCluster = UInt64(sector[13])
        guard [512, 1024, 2048, 4096].contains(bytesPerSector), rawCluster > 0 else { return nil }
        let sectorsPerCluster = rawCluster <= 0x80 ? rawCluster : 1 << min(256 - rawCluster, 20)
        let clusterSize = sectorsPerCluster * bytesPerSector
        let mftCluster = u64(sector, 48)
        guard mftCluster < (1 << 40) else { return nil }
        let rawRecord = Int8(bitPattern: sector[64])
        let recordSize: UInt64 =
            rawRecord < 0 ? 1 << UInt64(min(-Int(rawRecord), 20)) : UInt64(rawRecord) * clusterSize
        let (start, overflow) = mftCluster.multipliedReportingOverflow(by: clusterSize)
        guard !overflow else { return nil }
        return window(at: start, length: recordSize * 16)
    }
}
