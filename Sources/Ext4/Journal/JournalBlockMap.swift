import BlockIO

/// Where each block of the journal inode lies on the filesystem's device: the inode's block map as sorted runs,
/// looked up by binary search.
struct JournalBlockMap {
    let runs: [BlockRun]
    /// Blocks the map covers (the journal inode's length in blocks).
    let count: UInt64

    init(runs: [BlockRun]) {
        self.runs = runs
        count = runs.last.map { $0.logical + $0.count } ?? 0
    }

    /// The device block holding journal block `index`, or nil past the journal's end.
    func physical(_ index: UInt64) -> UInt64? {
        var low = 0
        var high = runs.count
        while low < high {
            let middle = (low + high) / 2
            let run = runs[middle]
            if index < run.logical {
                high = middle
            } else if index >= run.logical + run.count {
                low = middle + 1
            } else {
                return run.physical + (index - run.logical)
            }
        }
        return nil
    }
}

/// The journal's blocks read from the filesystem's device through its block map, a window of up to
/// ``windowBytes`` at a time: the log is walked block by block from its start, so one read of the next
/// physically contiguous stretch serves the next blocks instead of one read each.
///
/// With ``shrinksWindows`` (a walk that steps over the copies, checked later), a walk that steps over most of
/// what a window holds (the copies of large transactions) is given smaller windows, down to two blocks (a commit
/// block and the next descriptor), and larger ones again, up to ``windowBytes``, once it reads what it is given.
final class DeviceJournalSource: JournalBlockSource {
    /// Bytes read at once (fewer when the journal's extent or the journal ends first).
    static let windowBytes = 256 << 10

    let device: any BlockDevice
    let map: JournalBlockMap
    let journalBlockSize: Int
    private var window: [UInt8] = []
    /// The journal block at the window's start, and how many blocks it holds.
    private var windowStart: UInt64 = 0
    private var windowCount: UInt64 = 0
    /// Blocks of the window the walk has asked for; blocks of it from the first one asked on (all of it, unless
    /// the walk entered a window read ahead past its start); and the most blocks the next window may hold.
    private var windowServed: UInt64 = 0
    private var windowOffered: UInt64 = 0
    private var windowLimit: UInt64
    private var readAhead: JournalReadAhead?
    /// Whether windows shrink when the walk steps over most of them (see the type's discussion). Off unless
    /// ``beginWalk(of:shrinkingWindows:)`` asks for it: a reader of scattered blocks that still wants whole
    /// windows (the copies a replay writes, in log order) would otherwise be given a read a block.
    private(set) var shrinksWindows = false

    init(device: any BlockDevice, map: JournalBlockMap, journalBlockSize: Int) {
        self.device = device
        self.map = map
        self.journalBlockSize = journalBlockSize
        windowLimit = Self.fullWindow(journalBlockSize)
    }

    /// Blocks in a window of ``windowBytes``.
    private static func fullWindow(_ blockSize: Int) -> UInt64 { UInt64(max(1, windowBytes / blockSize)) }

    deinit { readAhead?.stop() }

    /// The block as a slice of the window: shared, not copied.
    func readJournalBlock(_ index: UInt32) throws(Ext4Error) -> ArraySlice<UInt8> {
        let wanted = UInt64(index)
        if wanted < windowStart || wanted >= windowStart + windowCount {
            if let readAhead, let next = try readAhead.window(holding: wanted) {
                window = next.bytes
                windowStart = next.start
                windowCount = next.count
                windowServed = 1
                windowOffered = next.start + next.count - wanted
            } else {
                try fill(from: wanted)
            }
        } else {
            windowServed += 1
        }
        let start = Int(wanted - windowStart) * journalBlockSize
        return window[start..<(start + journalBlockSize)]
    }

    /// Starts the walk of the log of `superblock`: only the walk's own use of the window held now (read for the
    /// journal superblock) counts when windows shrink or grow, and with `shrinkingWindows` they do.
    func beginWalk(of superblock: JournalSuperblock, shrinkingWindows: Bool) {
        shrinksWindows = shrinkingWindows
        let start = UInt64(superblock.start)
        windowServed = 0
        windowOffered =
            start >= windowStart && start < windowStart + windowCount ? windowStart + windowCount - start : 0
    }

    /// From here on, reads the log of `superblock` a window ahead of the walk on a second thread (the copy out
    /// of the page cache overlaps the checksums of the window before), from the first block past the window
    /// held now, until ``stopReadingAhead()``. Only for a log with checksums (where the walk reads every block)
    /// longer than a few windows.
    ///
    /// A walk that steps over the copies is not read ahead. On a log of small transactions, the one such a walk
    /// still reads nearly whole, a second thread took up to 20 % off its wall time on a 2-vCPU VM, but cost 25 %
    /// to 100 % more CPU and in some runs made it a third slower; on a kernel-made log of 18 MiB it cost 5 %.
    func startReadingAhead(_ superblock: JournalSuperblock) {
        guard readAhead == nil, superblock.start != 0, superblock.hasChecksumV1 || superblock.hasChecksumV2orV3
        else { return }
        // The log's first blocks may already be in the window (read with the journal superblock).
        let start = UInt64(superblock.start)
        let heldEnd = min(windowStart + windowCount, UInt64(superblock.logEnd))
        let held = start >= windowStart && start < heldEnd ? heldEnd - start : 0
        let windows = JournalReadAhead.windows(of: superblock, source: self, skipping: held)
        guard windows.count > 2 else { return }
        readAhead = JournalReadAhead(
            device: device, blockSize: journalBlockSize, superblock: superblock, windows: windows)
    }

    /// Stops reading ahead and waits for the second thread to finish with the device.
    func stopReadingAhead() {
        readAhead?.stop()
        readAhead = nil
    }

    /// The longest run of journal blocks from `index` that lies contiguously on the device, up to a window, as
    /// (device block, blocks); nil past the journal's end.
    func extent(from index: UInt64, limit: UInt64? = nil) -> (physical: UInt64, count: UInt64)? {
        guard let block = map.physical(index) else { return nil }
        let limit = limit ?? Self.fullWindow(journalBlockSize)
        let deviceBlocks = device.size / UInt64(journalBlockSize)
        var count: UInt64 = 1
        while count < limit, block + count < deviceBlocks, let next = map.physical(index + count), next == block + count
        {
            count += 1
        }
        return (block, count)
    }

    /// Reads `count` device blocks from device block `physical` into a new buffer (filled by the read, not
    /// zeroed first).
    static func read(
        _ device: any BlockDevice, physical: UInt64, count: UInt64, blockSize: Int
    ) -> Result<[UInt8], BlockIOError> {
        let bytes = Int(count) * blockSize
        var failure: BlockIOError?
        let buffer = [UInt8](unsafeUninitializedCapacity: bytes) { buffer, initialized in
            do throws(BlockIOError) {
                try device.read(at: physical * UInt64(blockSize), into: UnsafeMutableRawBufferPointer(buffer))
                initialized = bytes
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { return .failure(failure) }
        return .success(buffer)
    }

    /// Reads the window starting at journal block `index`: as many blocks as lie contiguously on the device.
    private func fill(from index: UInt64) throws(Ext4Error) {
        if shrinksWindows, windowOffered > 0 {
            // More than half of the last window stepped over: a smaller one; all of it read: a larger one.
            if windowServed * 2 < windowOffered {
                windowLimit = max(2, windowLimit / 2)
            } else if windowServed == windowOffered {
                windowLimit = min(Self.fullWindow(journalBlockSize), windowLimit * 2)
            }
        }
        guard let (block, count) = extent(from: index, limit: windowLimit) else {
            throw Ext4Error(
                .journal, "journal block \(index) is past the end of the journal inode (\(map.count) blocks)")
        }
        // The window's buffer is read into again when nothing else holds it (a walk drops each block before it
        // asks for the next window): a new 256 KiB buffer each time would be mapped and faulted in afresh. A
        // caller still holding a slice of it keeps its bytes (the buffer is copied first: Array's copy on write).
        let bytes = Int(count) * journalBlockSize
        var buffer: [UInt8] = []
        swap(&buffer, &window)
        if buffer.count < bytes { buffer = [UInt8](repeating: 0, count: max(bytes, Self.windowBytes)) }
        var failure: BlockIOError?
        buffer.withUnsafeMutableBytes { whole in
            do throws(BlockIOError) {
                let wanted = UnsafeMutableRawBufferPointer(rebasing: whole[..<bytes])
                try device.read(at: block * UInt64(journalBlockSize), into: wanted)
            } catch {
                failure = error
            }
        }
        if let failure {
            windowCount = 0
            windowOffered = 0
            throw Ext4Error(.io, "cannot read journal block \(index) (device block \(block))", underlying: failure)
        }
        window = buffer
        windowStart = index
        windowCount = count
        windowServed = 1
        windowOffered = count
    }
}
