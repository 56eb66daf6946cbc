public import BlockIO
internal import HostSystem

/// Identifies the filesystem in a volume (a partition slice or a whole disk) with libblkid, the same library
/// `blkid` uses.
///
/// libblkid can only read a file descriptor, and a dynamic or differencing VHD is not a flat file, so the probe
/// never gives it the image: it builds a sparse in-memory file (`memfd_create`) exactly as large as the volume,
/// copies into it the ranges listed by `ProbeWindows` (the first 2 MiB, the last 1 MiB, and the FAT/exFAT root
/// directory or NTFS MFT records named by the boot sector) read through the volume's `BlockDevice`, and probes
/// that. Because every byte comes through `BlockDevice`, the answer is the same for raw, fixed, dynamic and
/// differencing images. All-zero chunks are not written, so the file stays sparse; at most a few MiB of memory
/// are used per probe, whatever the volume size.
///
/// libblkid's ZFS and external XFS log probers are left out when the copied bytes hold none of their magics
/// where they look (`ZFSUberblockScan`, `XFSLogRecordScan`): they could not match, and their reads (1.25 MiB
/// into fresh pages) were a fifth of a small `vhdedit cat`.
///
/// Limit: a prober that reads outside those ranges sees zeros there. None of the filesystems a Linux VM disk
/// holds (ext2/3/4, xfs, btrfs, swap, LVM2, md RAID, vfat, NTFS) needs that.
public enum FilesystemProbe {
    /// The chunk size used to copy windows (64 KiB: a small buffer to fault in, and all-zero chunks skipped
    /// at a fine grain).
    static let chunkSize = 64 << 10

    /// Probes `volume`.
    ///
    /// - Throws: ``DiskLayoutError/Code/io`` when the volume cannot be read, ``DiskLayoutError/Code/probeFailed``
    ///   when the memory file or libblkid fails.
    public static func identify(_ volume: any BlockDevice) throws(DiskLayoutError) -> ProbeOutcome {
        guard volume.size > 0 else { return .nothingFound }
        // The boot sector and the three after it, where an LVM2 label may be, in one read.
        let firstSectors = try volume.readStructure(
            at: 0, count: Int(min(volume.size, 2048)), structure: "volume boot sector")
        let bootSector = Array(firstSectors.prefix(512))
        // An LVM2 PV's bytes past its first extent are logical volumes, probed on their own.
        let head =
            (try? PhysicalVolume.dataStart(inFirstSectors: firstSectors)).flatMap { $0 } ?? ProbeWindows.headBytes
        let windows = ProbeWindows(volumeSize: volume.size, bootSector: bootSector, headBytes: head)
        let file = try SparseMemoryFile(name: "vhdedit-probe", length: volume.size)
        var chunk: [UInt8] = []  // one buffer for every full-size chunk
        var zfs = ZFSUberblockScan(volumeSize: volume.size)
        var xfsLog = XFSLogRecordScan()
        for range in windows.spans {
            var offset = range.lowerBound
            while offset < range.upperBound {
                let count = Int(min(UInt64(chunkSize), range.upperBound - offset))
                // Holes of a dynamic VHD need neither reading nor checking: the memory file is zeros there.
                // (An error here is left to the read, which reports it.)
                if (try? volume.isKnownZero(offset..<(offset + UInt64(count)))) == true {
                    offset += UInt64(count)
                    continue
                }
                if chunk.count != count { chunk = [UInt8](repeating: 0, count: count) }
                try volume.readStructure(at: offset, into: &chunk, structure: "volume")
                if !ZeroDetection.isAllZero(chunk) {
                    try file.write(chunk, at: offset)
                    zfs.scan(chunk, at: offset)
                    xfsLog.scan(chunk, at: offset)
                }
                offset += UInt64(count)
            }
        }
        let probe = try BlkidProbe(descriptor: file.descriptor, length: file.length)
        // No uberblock magic in the copied labels, no log record magic at a sector start of the first 256 KiB:
        // the ZFS and external XFS log probers cannot match, and skipping them spares their megabyte and quarter
        // megabyte of reads (see ZFSUberblockScan and XFSLogRecordScan).
        try probe.skipTypes((zfs.mayMatch ? [] : ["zfs_member"]) + (xfsLog.mayMatch ? [] : ["xfs_external_log"]))
        switch try probe.run() {
        case .nothing:
            return .nothingFound
        case .ambiguous(let types):
            return .ambiguous(types)
        case .found(let values):
            guard let type = values["TYPE"] else { return .nothingFound }
            return .identified(
                FilesystemSignature(
                    type: type, secondaryType: values["SEC_TYPE"], uuid: values["UUID"], label: values["LABEL"],
                    version: values["VERSION"], usage: values["USAGE"]))
        }
    }
}
