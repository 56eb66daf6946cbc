import BlockIO
import Dispatch
import Synchronization

/// The journal's windows read on a second thread, in the order the scan of the log asks for them (from the
/// log's start to the journal's end, then from its first log block round to the start), at most
/// ``depth`` windows ahead of the scan.
///
/// A read-only command on a captured image reads the whole log (a 128 MiB journal of small transactions:
/// every descriptor, commit and copy is checksummed); copying it out of the page cache takes as long as the
/// checksums and the parsing, so on a second core the two overlap.
///
/// The device is used by the second thread only, between ``init(device:blockSize:superblock:windows:)`` and
/// ``stop()``; the scan's thread waits on the windows and never reads the device meanwhile.
final class JournalReadAhead: @unchecked Sendable {
    /// A run of journal blocks contiguous on the device, and its place in the scan's order.
    struct Window: Sendable {
        var start: UInt64
        var count: UInt64
        var physical: UInt64
        /// Blocks of the scan before this window.
        var ordinal: UInt64
    }

    /// A window read, handed to the scan.
    struct Read {
        var start: UInt64
        var count: UInt64
        var bytes: [UInt8]
    }

    /// Windows read and not yet taken.
    static let depth = 2

    private struct Shared {
        var ready: [(window: Window, result: Result<[UInt8], BlockIOError>)] = []
        var finished = false
        var cancelled = false
    }

    private let device: any BlockDevice
    private let blockSize: Int
    private let windows: [Window]
    private let first: UInt64
    private let start: UInt64
    private let end: UInt64
    private let shared = Mutex(Shared())
    private let readable = DispatchSemaphore(value: 0)
    /// Counted up from 0 in `init` (libdispatch traps when a semaphore is freed below its initial value).
    private let free = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    /// The next window the scan takes (an index into `windows`); only the scan's thread uses it.
    private var taken = 0
    private var stopped = false

    init(device: any BlockDevice, blockSize: Int, superblock: JournalSuperblock, windows: [Window]) {
        self.device = device
        self.blockSize = blockSize
        self.windows = windows
        first = UInt64(superblock.first)
        start = UInt64(superblock.start)
        end = UInt64(superblock.logEnd)
        for _ in 0..<Self.depth { free.signal() }
        // A queue of its own: serial queues are served by libdispatch's overcommitting threads, so the reader
        // starts even when every pooled worker is busy (batch jobs run on such queues and wait on this one).
        DispatchQueue(label: "vhdedit.journal-read-ahead").async { self.readAll() }
    }

    /// The windows of one walk round the log of `superblock`, as `source` would read them, from the walk's
    /// block `skipping` on (counted from the log's start; the walk has read those before it).
    static func windows(
        of superblock: JournalSuperblock, source: DeviceJournalSource, skipping: UInt64 = 0
    ) -> [Window] {
        let first = UInt64(superblock.first)
        let end = UInt64(superblock.logEnd)
        var ordinal = min(skipping, end - first)
        var position = UInt64(superblock.start) + ordinal
        if position >= end { position = first + (position - end) }
        var out: [Window] = []
        while ordinal < end - first, let extent = source.extent(from: position) {
            let count = min(extent.count, end - position)
            out.append(Window(start: position, count: count, physical: extent.physical, ordinal: ordinal))
            ordinal += count
            position += count
            if position >= end { position = first }
        }
        return out
    }

    /// The window read ahead that holds journal block `index`, skipping the windows before it; nil when the
    /// scan asks for a block behind it or outside the walk (then reading ahead stops: the caller reads the
    /// block itself).
    ///
    /// - Throws: ``Ext4Error/Code/io`` when the window could not be read.
    func window(holding index: UInt64) throws(Ext4Error) -> Read? {
        guard !stopped, index >= first, index < end else {
            stop()
            return nil
        }
        let wanted = index >= start ? index - start : (end - start) + (index - first)
        while taken < windows.count {
            let window = windows[taken]
            if wanted < window.ordinal { break }
            readable.wait()
            let next = shared.withLock { $0.ready.removeFirst() }
            free.signal()
            taken += 1
            guard wanted < window.ordinal + window.count else { continue }
            switch next.result {
            case .success(let bytes): return Read(start: window.start, count: window.count, bytes: bytes)
            case .failure(let failure):
                throw Ext4Error(
                    .io, "cannot read journal block \(window.start) (device block \(window.physical))",
                    underlying: failure)
            }
        }
        stop()
        return nil
    }

    /// Stops reading ahead and waits until the second thread no longer uses the device.
    func stop() {
        guard !stopped else { return }
        stopped = true
        shared.withLock { $0.cancelled = true }
        free.signal()
        done.wait()
    }

    /// The second thread: every window in order, at most ``depth`` ahead of the scan.
    private func readAll() {
        for window in windows {
            free.wait()
            if shared.withLock({ $0.cancelled }) { break }
            let result = DeviceJournalSource.read(
                device, physical: window.physical, count: window.count, blockSize: blockSize)
            shared.withLock { $0.ready.append((window, result)) }
            readable.signal()
        }
        done.signal()
    }
}
