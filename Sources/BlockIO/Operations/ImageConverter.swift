internal import HostSystem

/// Copies the disk of any readable image (raw, fixed, dynamic, or a differencing chain, flattened) into a new
/// raw, fixed or dynamic image.
///
/// - Raw and fixed outputs are sparse: zero runs (4 KiB granules) are not written and stay holes.
/// - Dynamic output leaves all-zero blocks unallocated (2 MiB blocks).
/// - Only the parts of the source that can hold data are read: host-file data ranges of raw and fixed sources,
///   allocated blocks of dynamic ones.
/// - The output is written under a temporary name in the destination's folder, synced and renamed, so a crash
///   never leaves a half-written destination (unless ``Options/sync`` is turned off).
/// - Bytes kept as they are in the source file (raw and fixed images, the fully present blocks of dynamic ones,
///   when no pending edit journal overlays the file) are copied from a mapping of the source straight into the
///   output (`HostFile/copyNonZero(from:at:count:to:sharing:)`), not read into a buffer first; on a reflink
///   filesystem (XFS, btrfs) their non-zero runs are shared with the source instead (copy-on-write, nothing
///   copied), where the offsets line up with its blocks. The rest, or a source that cannot be mapped, goes
///   through the device's reads.
public enum ImageConverter {
    /// The output container.
    public enum OutputFormat: String, Sendable, Codable, CaseIterable {
        case raw, fixed, dynamic
    }

    /// How to convert.
    public struct Options: Sendable {
        /// The output container.
        public var format: OutputFormat
        /// Round the virtual size up to a whole MiB (Azure requires it).
        public var roundToMiB: Bool
        /// Replace an existing destination.
        public var overwrite: Bool
        /// Bytes read from the source at a time.
        public var bufferSize: Int
        /// Make the output durable before it gets its name: write it back while copying, `fsync` it, rename,
        /// `fsync` the folder (the default). `false` skips the flushes, as qemu-img's default (cache mode
        /// "unsafe") does: the command ends with the output still in the page cache, so after a crash or power
        /// loss the destination may hold missing or zero data although the convert succeeded. Everything else
        /// (temporary name, rename, removal on a signal) stays; meant for scratch disks whose outputs are
        /// re-made after a crash.
        public var sync: Bool
        /// Take bytes stored as they are in the source file from a mapping of it (the default), instead of
        /// reading every byte through the source device into a buffer.
        public var mappedCopy: Bool
        /// Called after each piece with (bytes done, total bytes) of the virtual disk.
        public var progress: (@Sendable (UInt64, UInt64) -> Void)?

        /// Conversion options; every one but `format` has the default `vhdedit convert` uses.
        /// - Parameters:
        /// - format: The output format.
        /// - roundToMiB: Whether to round the virtual size up to a whole MiB.
        /// - overwrite: Whether an existing destination may be replaced.
        /// - bufferSize: The copy buffer's size in bytes.
        /// - sync: Whether to make the output durable before it is renamed into place.
        /// - mappedCopy: Whether data stored as-is is copied from a read-only mapping.
        /// - progress: Called after each piece with (bytes done, total bytes).
        public init(
            format: OutputFormat, roundToMiB: Bool = false, overwrite: Bool = false, bufferSize: Int = 4 << 20,
            sync: Bool = true, mappedCopy: Bool = true, progress: (@Sendable (UInt64, UInt64) -> Void)? = nil
        ) {
            self.format = format
            self.roundToMiB = roundToMiB
            self.overwrite = overwrite
            self.bufferSize = bufferSize
            self.sync = sync
            self.mappedCopy = mappedCopy
            self.progress = progress
        }
    }

    /// What a conversion did.
    public struct Report: Sendable, Codable {
        /// The source image's path.
        public var source: String
        /// The source's container format.
        public var sourceFormat: DiskImage.Format
        /// The destination's path.
        public var destination: String
        /// The output format.
        public var format: OutputFormat
        /// The source disk's size.
        public var sourceSize: UInt64
        /// The output disk's size (larger when rounded).
        public var virtualSize: UInt64
        /// Whether the size was rounded up (to a sector or to a MiB).
        public var rounded: Bool
        /// Bytes of disk data written (zero runs excluded).
        public var bytesWritten: UInt64
        /// Bytes of disk data copied from a mapping of the source file (the rest was read through the device).
        public var bytesMapped: UInt64
        /// Bytes of `bytesMapped` shared with the source file's blocks (reflink) instead of written.
        public var bytesShared: UInt64
        /// Whether the output was flushed to disk before its rename (``Options/sync``).
        public var synced: Bool
        /// Blocks allocated in a dynamic output.
        public var allocatedBlocks: Int?
        /// Adjustments and warnings, in words.
        public var notes: [String]
    }

    /// Converts the image at `source` into a new image at `destination`.
    ///
    /// - Throws: ``BlockIOError`` from opening the source (its format errors included), `invalidArgument` for an
    ///   existing destination (unless `overwrite`), `tooLarge` for a VHD over 2040 GiB, I/O errors.
    @discardableResult
    public static func convert(source: String, destination: String, options: Options) throws(BlockIOError) -> Report {
        let input = try DiskImage.open(path: source)
        if let canonicalSource = HostPaths.canonical(source), HostPaths.canonical(destination) == canonicalSource {
            throw BlockIOError(.invalidArgument, "source and destination are the same file", path: destination)
        }
        if let target = HostPaths.canonical(destination),
            let parent = input.hostFiles.dropFirst().first(where: { HostPaths.canonical($0) == target })
        {
            throw BlockIOError(
                .invalidArgument,
                "is in the source's parent chain (\(parent)): replacing it would break the source",
                path: destination)
        }
        if let target = HostPaths.canonical(destination),
            let parent = input.vhdx?.chain.dropFirst().first(where: { HostPaths.canonical($0.structure.path) == target }
            )
        {
            throw BlockIOError(
                .invalidArgument,
                "is in the source's parent chain (\(parent.structure.path)): replacing it would break the source",
                path: destination)
        }
        var notes = input.warnings.map { "source: \($0)" }
        for pending in input.pendingEdits {
            notes.append(
                "wrote the committed image: \(pending.image) was read through its pending edit journal "
                    + "\(pending.journal) (the file itself is still torn; \(pending.remedy))")
        }
        let sourceSize = input.device.size
        var size = sourceSize
        if options.format != .raw && size % 512 != 0 {
            size = (size + 511) / 512 * 512
            notes.append("virtual size rounded up from \(sourceSize) to \(size) bytes (a whole sector)")
        }
        if options.roundToMiB && size % (1 << 20) != 0 {
            let before = size
            size = (size + (1 << 20) - 1) / (1 << 20) * (1 << 20)
            notes.append("virtual size rounded up from \(before) to \(size) bytes (a whole MiB)")
        }
        if options.format != .raw {
            guard size <= VHDFooter.maximumSize else {
                throw BlockIOError(
                    .tooLarge, "a VHD holds at most \(VHDFooter.maximumSize) bytes (2040 GiB); the disk has \(size)",
                    path: source)
            }
            if size == 0 {
                throw BlockIOError(.invalidArgument, "cannot write a VHD of 0 bytes", path: source)
            }
        }
        let ranges = try DataRanges.of(input)
        let output = try AtomicOutputFile(destination: destination, overwrite: options.overwrite)
        var copier = Copier(input: input.device, ranges: ranges, total: size, options: options)
        var allocated: Int?
        switch options.format {
        case .raw, .fixed:
            try output.file.setLength(size)
            try copier.copyFlat(to: output.file)
            if options.format == .fixed {
                let footer = ImageCreator.newFooter(
                    type: .fixed, size: size, geometry: DiskGeometry.written(forSize: size))
                try output.file.write(at: size, bytes: footer.serialized())
            }
        case .dynamic:
            let footer = ImageCreator.newFooter(
                type: .dynamic, size: size, geometry: DiskGeometry.written(forSize: size))
            let builder = try DynamicVHDBuilder(
                store: output.file, footer: footer, blockSize: DynamicHeader.defaultBlockSize, parent: nil)
            try copier.copyBlocks(to: builder, file: output.file)
            try builder.finish()
            allocated = builder.allocatedBlocks
        }
        try output.commit(sync: options.sync)
        return Report(
            source: source, sourceFormat: input.format, destination: destination, format: options.format,
            sourceSize: sourceSize, virtualSize: size, rounded: size != sourceSize, bytesWritten: copier.written,
            bytesMapped: copier.mapped, bytesShared: copier.shared, synced: options.sync, allocatedBlocks: allocated,
            notes: notes)
    }

    /// The copy loop: takes the source's data ranges in large pieces and hands on what is not zero.
    private struct Copier {
        let input: any BlockDevice
        let ranges: [Range<UInt64>]
        let total: UInt64
        let options: Options
        /// The source, where its bytes can be taken from a mapping of its file; `nil` once mapping failed.
        private var stored: (disk: any StoredRuns, file: HostFile)?
        var written: UInt64 = 0
        /// Bytes written from the mapping.
        var mapped: UInt64 = 0
        /// Bytes of `mapped` shared with the source's blocks.
        var shared: UInt64 = 0
        /// Whether to try sharing blocks with the source; off after the first refusal.
        private var sharing = true
        /// Whether the kernel may copy runs (`copy_file_range`); off once it refuses, or on a reflink
        /// filesystem whose blocks the runs are not aligned with.
        private var kernelCopyAllowed = true
        /// Whether the kernel's copy or a write from the mapping is used, as measured on the first runs.
        private var copyMethod = CopyMethodTrial()
        /// `written` when the output's writeback was last started.
        private var writtenAtWriteback: UInt64 = 0
        var buffer: [UInt8]

        init(input: any BlockDevice, ranges: [Range<UInt64>], total: UInt64, options: Options) {
            self.input = input
            self.ranges = ranges
            self.total = total
            self.options = options
            if options.mappedCopy, let disk = input as? any StoredRuns, let file = disk.storedFile {
                stored = (disk, file)
            }
            buffer = [UInt8](repeating: 0, count: max(options.bufferSize, 1 << 16) / 4096 * 4096)
        }

        /// The output is synced before its rename: starting the disk writes while copying, rather than all at
        /// that sync, overlaps them with the copy.
        private mutating func startWritebackEvery32MiB(of file: HostFile) {
            guard options.sync, written - writtenAtWriteback >= 32 << 20 else { return }
            file.startWriteback()
            writtenAtWriteback = written
        }

        /// Copies the first bytes of the `count` at disk offset `position` to `file` at `offset`, all-zero 4 KiB
        /// pieces left unwritten; returns how many bytes it took (at least one) and how many it wrote. Stored runs
        /// that follow each other (a dynamic VHD's blocks, a qcow2's clusters) are taken together, up to
        /// ``HostFileCalls/maximumCopyRuns`` of them, so that they can be copied on several threads; bytes that
        /// are read go through the buffer, at most its size at a time.
        private mutating func copyPiece(
            at position: UInt64, count: Int, to file: HostFile, at offset: UInt64
        )
            throws(BlockIOError) -> (taken: Int, written: Int)
        {
            var readCount = count
            if let (disk, source) = stored {
                switch try disk.storedRun(at: position, count: count) {
                case .stored(let storeOffset, let length) where length > 0:
                    var runs = [HostFileCalls.CopyRun(sourceOffset: storeOffset, offset: offset, count: length)]
                    var taken = length
                    while taken < count, runs.count < HostFileCalls.maximumCopyRuns,
                        case .stored(let next, let nextLength) = try disk.storedRun(
                            at: position + UInt64(taken), count: count - taken),
                        nextLength > 0
                    {
                        runs.append(
                            HostFileCalls.CopyRun(sourceOffset: next, offset: offset + UInt64(taken), count: nextLength)
                        )
                        taken += nextLength
                    }
                    var inKernel = kernelCopyAllowed && copyMethod.prefersKernel
                    let asked = inKernel
                    let cloning = sharing  // clones cost next to nothing: not a sample of either copy
                    let put = try file.copyNonZero(from: source, runs: runs, sharing: &sharing, inKernel: &inKernel)
                    if asked && !inKernel { kernelCopyAllowed = false }
                    if let put {
                        if !cloning { copyMethod.copied(bytes: taken, inKernel: asked) }
                        mapped += UInt64(put.written)
                        shared += UInt64(put.shared)
                        return (taken, put.written)
                    }
                    stored = nil  // the file cannot be mapped: read from now on
                case .elsewhere(let length) where length > 0:
                    readCount = length
                default:
                    break
                }
            }
            readCount = min(readCount, buffer.count)
            let put = try buffer.withMutableBytes { (raw) throws(BlockIOError) -> Int in
                let piece = UnsafeMutableRawBufferPointer(rebasing: raw[0..<readCount])
                try input.read(at: position, into: piece)
                return try SparseWriter.writeNonZero(UnsafeRawBufferPointer(piece), to: file, at: offset)
            }
            return (readCount, put)
        }

        /// Copies the disk's `count` bytes at `position` to `file` at `offset` (see `copyPiece`); returns the
        /// bytes written.
        private mutating func copyRun(
            at position: UInt64, count: Int, to file: HostFile, at offset: UInt64
        )
            throws(BlockIOError) -> Int
        {
            var done = 0
            var put = 0
            while done < count {
                let piece = try copyPiece(
                    at: position + UInt64(done), count: count - done, to: file, at: offset + UInt64(done))
                done += piece.taken
                put += piece.written
            }
            return put
        }

        /// Raw and fixed outputs: byte `v` of the disk at byte `v` of the file.
        mutating func copyFlat(to file: HostFile) throws(BlockIOError) {
            for range in ranges {
                var position = range.lowerBound
                while position < range.upperBound {
                    // Mapped copies take up to 8 MiB of runs at once (four of a dynamic VHD's blocks, nothing
                    // buffered; what is mapped counts in the resident size, kept under 32 MiB); reads, a buffer.
                    let chunk = stored == nil ? buffer.count : max(buffer.count, 8 << 20)
                    let count = Int(min(UInt64(chunk), range.upperBound - position))
                    let piece = try copyPiece(at: position, count: count, to: file, at: position)
                    written += UInt64(piece.written)
                    startWritebackEvery32MiB(of: file)
                    position += UInt64(piece.taken)
                    options.progress?(position, total)
                }
            }
            options.progress?(total, total)
        }

        /// Dynamic output: every block that intersects a data range and is not all zeros.
        mutating func copyBlocks(to builder: DynamicVHDBuilder, file: HostFile) throws(BlockIOError) {
            let blockSize = UInt64(builder.header.blockSize)
            if buffer.count < Int(blockSize) { buffer = [UInt8](repeating: 0, count: Int(blockSize)) }
            var lastBlock = -1
            for range in ranges {
                var block = Int(range.lowerBound / blockSize)
                while UInt64(block) * blockSize < range.upperBound {
                    defer { block += 1 }
                    if block <= lastBlock { continue }
                    lastBlock = block
                    let start = UInt64(block) * blockSize
                    let count = Int(min(blockSize, input.size - start))
                    let put = try builder.appendBlock(block) { (offset) throws(BlockIOError) -> Int in
                        try copyRun(at: start, count: count, to: file, at: offset)
                    }
                    written += UInt64(put)
                    startWritebackEvery32MiB(of: file)
                    options.progress?(min(start + UInt64(count), total), total)
                }
            }
            options.progress?(total, total)
        }
    }
}
