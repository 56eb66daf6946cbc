internal import CHostFile

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The Linux file calls glibc declares only under `_GNU_SOURCE`, on a descriptor the caller owns: data and hole
/// positions, hole punching, write-back and the mapped copy that leaves zero pieces as holes. Each returns what
/// the system call returns; `errno` says why one failed.
public enum HostFileCalls {
    /// `lseek(descriptor, offset, SEEK_DATA)`: the start of the next data at or after `offset`, or -1
    /// (`ENXIO`: no more data).
    public static func seekData(_ descriptor: Int32, from offset: Int64) -> Int64 {
        Int64(chostfile_seek_data(descriptor, off_t(offset)))
    }

    /// `lseek(descriptor, offset, SEEK_HOLE)`: the start of the next hole at or after `offset`, or -1.
    public static func seekHole(_ descriptor: Int32, from offset: Int64) -> Int64 {
        Int64(chostfile_seek_hole(descriptor, off_t(offset)))
    }

    /// `fallocate` with `FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE` on `length` bytes at `offset`: whether the
    /// range now reads as zeros without being allocated.
    public static func punchHole(_ descriptor: Int32, at offset: Int64, length: Int64) -> Bool {
        chostfile_punch_hole(descriptor, off_t(offset), off_t(length)) == 0
    }

    /// `sync_file_range(descriptor, 0, 0, SYNC_FILE_RANGE_WRITE)`: starts writing the dirty pages back without
    /// waiting. Advisory; a failure is ignored.
    public static func startWriteback(_ descriptor: Int32) {
        _ = chostfile_start_writeback(descriptor, 0, 0)
    }

    /// How a ``copyNonZero(from:to:runs:granule:sharing:inKernel:)`` ended.
    public enum CopyResult: Sendable, Equatable {
        /// Done: the bytes put into the output (written or shared) and how many of them were shared.
        case copied(written: UInt64, shared: UInt64)
        /// The source cannot be mapped (`mmap` failed): nothing was written.
        case sourceNotMapped
        /// The source's pages vanished while mapped (another process truncated it).
        case sourceShrank
        /// A `pwrite` to the output failed with the errno.
        case writeFailed(errno: Int32)
    }

    /// One run of a ``copyNonZero(from:to:runs:granule:sharing:inKernel:)`` copy: `count` bytes of the source
    /// at `sourceOffset` to the output at `offset`.
    public struct CopyRun: Sendable, Equatable {
        /// Where the run starts in the source.
        public var sourceOffset: UInt64
        /// Where it goes in the output.
        public var offset: UInt64
        /// Its length in bytes.
        public var count: Int

        /// A run of `count` bytes from `sourceOffset` to `offset`.
        public init(sourceOffset: UInt64, offset: UInt64, count: Int) {
            self.sourceOffset = sourceOffset
            self.offset = offset
            self.count = count
        }
    }

    /// The most runs one ``copyNonZero(from:to:runs:granule:sharing:inKernel:)`` takes.
    public static let maximumCopyRuns = 16

    /// Copies each of `runs` (at most ``maximumCopyRuns``), in order, from `source` to `output` through a
    /// read-only mapping, leaving every `granule`-byte piece (counted from the run's start) that is all zeros
    /// unwritten. While `sharing` is true a run is first shared with the source (`FICLONERANGE`); the first refused
    /// clone sets it to false and the run is copied instead: by the kernel (`copy_file_range`, page cache to page
    /// cache) while `inKernel` is true, else written from the mapping. `inKernel` turns false once the kernel
    /// refuses that for these files, or once a clone is refused because the offsets are off the blocks of a
    /// reflink filesystem (whose `copy_file_range` would share parts of runs, leaving another layout of holes).
    ///
    /// Once `sharing` is false, copies of 4 MiB or more inside the output's length go on several threads (this one
    /// and a helper per further core, at most 4 cores), with the same pieces left as holes: a single run is split
    /// into contiguous parts of at least 512 KiB; runs that follow each other in the source are copied from one
    /// mapping, whole runs shared out (a dynamic VHD's 2 MiB blocks, each too small to split on its own). Other
    /// runs go one after the other. The result is the first failure's, if any.
    public static func copyNonZero(
        from source: Int32, to output: Int32, runs: [CopyRun], granule: Int, sharing: inout Bool,
        inKernel: inout Bool
    ) -> CopyResult {
        precondition(runs.count <= maximumCopyRuns, "at most \(maximumCopyRuns) runs at once")
        var written: UInt64 = 0
        var shared: UInt64 = 0
        var clone: Int32 = sharing ? 1 : 0
        var kernel: Int32 = inKernel ? 1 : 0
        var cRuns: [chostfile_copy_run] = []
        cRuns.reserveCapacity(runs.count)
        for run in runs {
            cRuns.append(
                chostfile_copy_run(
                    in_offset: off_t(run.sourceOffset), out_offset: off_t(run.offset), length: run.count))
        }
        let result = cRuns.withUnsafeBufferPointer { buffer in
            chostfile_copy_nonzero_runs(
                source, output, buffer.baseAddress, buffer.count, granule, &clone, &kernel, &written, &shared)
        }
        let code = errno
        sharing = clone != 0
        inKernel = kernel != 0
        return CopyResult(result, errno: code, written: written, shared: shared)
    }

    /// Writes the `granule`-byte pieces of `buffer` that hold a non-zero byte (adjacent ones merged) to `output`
    /// at `offset` with `pwrite`; all-zero pieces are not written (they stay holes). A buffer of 1 MiB or more that lands
    /// inside the output's length is split into contiguous parts that this thread and a helper thread per further core (at most 4 cores) write
    /// at once: a write into the page cache is bound by one core's memory copy rate.
    ///
    /// - Returns: The bytes written, and 0 or the `errno` of the first write that failed.
    public static func writeNonZero(
        _ buffer: UnsafeRawBufferPointer, to output: Int32, at offset: UInt64, granule: Int
    ) -> (written: UInt64, errno: Int32) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return (0, 0) }
        var written: UInt64 = 0
        let code = chostfile_write_nonzero(output, base, buffer.count, off_t(offset), granule, &written)
        return (written, code)
    }

    /// The sum of the bytes of `buffer`, modulo 2^32 (the VHD footer and header checksums), computed in C.
    public static func byteSum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        chostfile_byte_sum(buffer.baseAddress, buffer.count)
    }

    /// `memfd_create(name, MFD_CLOEXEC)`: a new anonymous in-memory file's descriptor (the caller owns it), or -1.
    public static func createMemoryFile(name: String) -> Int32 {
        chostfile_memfd_create(name)
    }

    /// Removes the files in `folder` named `prefix`…`suffix` whose exclusive `flock` can be taken at once (their
    /// writer is gone), and returns how many were removed.
    @discardableResult
    public static func removeUnlockedFiles(in folder: String, prefix: String, suffix: String) -> Int {
        Int(chostfile_remove_unlocked_files(folder, prefix, suffix))
    }
}

/// Open-file-description locks on single bytes (`F_OFD_SETLK`, always shared), as qemu takes them on an image:
/// their presence, not their kind, says something. The descriptor is the caller's.
public enum ByteLocks {
    /// Takes a shared lock on `byte`; returns 0 or an errno value.
    public static func lock(_ descriptor: Int32, byte: Int64) -> Int32 {
        chostfile_ofd_lock_byte(descriptor, off_t(byte))
    }

    /// Drops the lock on `byte`; returns 0 or an errno value.
    @discardableResult
    public static func unlock(_ descriptor: Int32, byte: Int64) -> Int32 {
        chostfile_ofd_unlock_byte(descriptor, off_t(byte))
    }

    /// Whether another open file description holds a lock on `byte` (`F_OFD_GETLK`): 1 yes, 0 no, or -errno.
    public static func isLockedElsewhere(_ descriptor: Int32, byte: Int64) -> Int32 {
        chostfile_ofd_byte_is_locked(descriptor, off_t(byte))
    }
}

/// Arrays of 32-bit big-endian words (a VHD's Block Allocation Table) decoded and scanned a machine word at a time.
public enum BigEndianWordScan {
    /// Decodes the `count` big-endian words at `bytes` into `words` in host order (`words` may be `bytes`).
    public static func decode(_ bytes: UnsafeRawPointer, into words: UnsafeMutablePointer<UInt32>, count: Int) {
        chostfile_decode_be32(bytes, words, count)
    }

    /// Stores in `positions` (room for `capacity`) the indices of the `count` words at `words` that are not
    /// `0xFFFFFFFF`, in order; returns how many there are, also when that is more than `capacity`.
    public static func positions(
        notEqualToAllOnesIn words: UnsafePointer<UInt32>, count: Int, into positions: UnsafeMutablePointer<Int>,
        capacity: Int
    ) -> Int {
        chostfile_positions_not_all_ones(words, count, positions, capacity)
    }
}

extension HostFileCalls.CopyResult {
    /// The result of a C copy call: its return value, the `errno` it left and its byte counts.
    fileprivate init(_ result: Int32, errno code: Int32, written: UInt64, shared: UInt64) {
        switch Int(result) {
        case 0: self = .copied(written: written, shared: shared)
        case Int(CHOSTFILE_COPY_MAP_FAILED): self = .sourceNotMapped
        case Int(CHOSTFILE_COPY_SOURCE_SHRANK): self = .sourceShrank
        default: self = .writeFailed(errno: code)
        }
    }
}
