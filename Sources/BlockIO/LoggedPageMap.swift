/// Which bytes of an image its redo log supplies and which its file does: the log's records replayed into an
/// index, without applying them.
///
/// Page records point into the log; cut records drop the pages past the cut, trim the page across it and hide
/// the file's bytes from the cut on. Reading through the map therefore gives exactly what replaying the log onto
/// the file would give.
struct LoggedPageMap {
    struct Entry {
        /// Where the page's bytes are in the log.
        var payloadOffset: UInt64
        /// Bytes of the page from this one on read as zero (a later cut went through the page).
        var validBytes: Int
    }

    private(set) var pages: [UInt64: Entry] = [:]
    /// File bytes at or past this offset were cut away by a record.
    private(set) var fileCut: UInt64 = .max

    var isEmpty: Bool { pages.isEmpty && fileCut == .max }

    /// The map of a sealed log.
    init(replaying log: SealedRedoLog) {
        for operation in log.operations {
            switch operation {
            case .page(let index, let offset): record(page: index, payloadOffset: offset)
            case .cut(let length): cut(to: length)
            }
        }
    }

    init() {}

    mutating func record(page index: UInt64, payloadOffset: UInt64) {
        pages[index] = Entry(payloadOffset: payloadOffset, validBytes: RedoLog.pageSize)
    }

    mutating func cut(to length: UInt64) {
        let pageSize = UInt64(RedoLog.pageSize)
        pages = pages.filter { $0.key < (length + pageSize - 1) / pageSize }
        if length % pageSize != 0, var entry = pages[length / pageSize] {
            entry.validBytes = min(entry.validBytes, Int(length % pageSize))
            pages[length / pageSize] = entry
        }
        fileCut = min(fileCut, length)
    }

    /// Fills `buffer` with the bytes at `offset` as the map sees them: logged pages from `log`, the rest from
    /// `base` below the cut, zeros elsewhere. The caller clamps the range to the logical length.
    func read(
        at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer, base: any ByteStore, log: (any ByteStore)?
    ) throws(BlockIOError) {
        let pageSize = UInt64(RedoLog.pageSize)
        var done = 0
        while done < buffer.count {
            let position = offset + UInt64(done)
            let page = position / pageSize
            let inPage = Int(position % pageSize)
            if let entry = pages[page], let log {
                let count = min(buffer.count - done, RedoLog.pageSize - inPage)
                let target = UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + count)])
                let valid = max(0, min(count, entry.validBytes - inPage))
                if valid > 0 {
                    let got = try log.read(
                        at: entry.payloadOffset + UInt64(inPage),
                        into: UnsafeMutableRawBufferPointer(rebasing: target[0..<valid]))
                    guard got == valid else {
                        throw BlockIOError(
                            .truncated, "the edit journal ends inside a page record", path: log.path,
                            offset: entry.payloadOffset)
                    }
                }
                UnsafeMutableRawBufferPointer(rebasing: target[valid...]).initializeMemory(as: UInt8.self, repeating: 0)
                done += count
                continue
            }
            // A run of pages the log does not hold: one read from the file.
            var runEnd = min(offset + UInt64(buffer.count), (page + 1) * pageSize)
            while runEnd < offset + UInt64(buffer.count), pages[runEnd / pageSize] == nil {
                runEnd = min(offset + UInt64(buffer.count), runEnd + pageSize)
            }
            let count = Int(runEnd - position)
            let target = UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + count)])
            let readable = position < fileCut ? Int(min(UInt64(count), fileCut - position)) : 0
            var got = 0
            if readable > 0 {
                got = try base.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: target[0..<readable]))
            }
            UnsafeMutableRawBufferPointer(rebasing: target[got...]).initializeMemory(as: UInt8.self, repeating: 0)
            done += count
        }
    }
}
