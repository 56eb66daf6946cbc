/// Which bytes of an image its redo log supplies and which its file does: the log's records replayed into an
/// index, without applying them.
///
/// Page records point into the log; cut records drop the pages past the cut, trim the page across it and hide
/// the file's bytes from the cut on. Reading through the map therefore gives exactly what replaying the log onto
/// the file would give.
///
/// ## Memory
/// The index is a sorted list of ``Run``s, 16 bytes each: consecutive pages whose records lie back to back in
/// the log. A spill writes its pages in ascending order, so it adds a few runs when the pages are consecutive (a
/// journal replay writing 220,000 neighbouring blocks takes about a hundred) and 16 bytes a page when they are
/// scattered. Pages are recorded a batch at a time (``record(page:payloadOffset:)`` while they ascend, then
/// ``settle()``), and each batch is merged into the list in place, so no second copy of the list is ever made.
struct LoggedPageMap {
    /// Consecutive pages `first ..< first + count` whose `PAGE` records follow one another in the log: the bytes
    /// of page `first + k` are at `payload + k * recordStride`.
    ///
    /// | Field     | Size | Meaning |
    /// |-----------|-----:|---------|
    /// | `first`   | 4    | first page index (indices are below 2^32: images end at 16 TiB) |
    /// | `count`   | 4    | pages in the run |
    /// | `payload` | 8    | log offset of the first page's bytes |
    struct Run: Equatable {
        var first: UInt32
        var count: UInt32
        var payload: UInt64

        /// The page after the run's last.
        var end: UInt64 { UInt64(first) + UInt64(count) }

        /// The log offset of page `page`'s bytes (a page of the run).
        func payload(of page: UInt64) -> UInt64 { payload + (page - UInt64(first)) * LoggedPageMap.recordStride }

        /// The part of the run before `page` (`first < page < end`).
        func prefix(upTo page: UInt64) -> Run {
            Run(first: first, count: UInt32(page - UInt64(first)), payload: payload)
        }

        /// The part of the run from `page` on (`first <= page < end`).
        func suffix(from page: UInt64) -> Run {
            Run(first: UInt32(page), count: UInt32(end - page), payload: payload(of: page))
        }

        /// Whether `next` continues this run, in the image and in the log.
        func isContinued(by next: Run) -> Bool {
            end == UInt64(next.first) && payload + UInt64(count) * LoggedPageMap.recordStride == next.payload
        }
    }

    /// Bytes from one `PAGE` record's payload to the next one's when the records follow one another.
    static let recordStride = UInt64(RedoLogRecord.headSize + RedoLog.pageSize)
    /// Runs a batch gathers before it is merged (64 KiB): merging needs room for twice the batch.
    static let batchLimit = 4096

    /// The logged pages, sorted, not overlapping, neighbours coalesced.
    private(set) var runs: [Run] = []
    /// Pages recorded since the last merge, ascending, each newer than the map.
    private var batch: [Run] = []
    /// Logged pages whose bytes from the given count on read as zero (a later cut went through them): one per
    /// cut at most, and rare.
    private var trimmed: [UInt64: Int] = [:]
    /// File bytes at or past this offset were cut away by a record.
    private(set) var fileCut: UInt64 = .max

    /// Whether the map holds no page and no cut.
    var isEmpty: Bool { runs.isEmpty && batch.isEmpty && fileCut == .max }

    /// The map of the sealed log `log`, whose records are read from `store`.
    init(replaying log: SealedRedoLog, from store: any ByteStore) throws(BlockIOError) {
        try log.forEachRecord(in: store, readingPayloads: false) { (operation, _) throws(BlockIOError) in
            switch operation {
            case .page(let index, let offset): record(page: index, payloadOffset: offset)
            case .cut(let length): cut(to: length)
            }
        }
        settle()
    }

    init() {}

    /// Page `index`'s bytes are now at `payloadOffset` in the log (a record written after every one the map
    /// holds). Reads see it after ``settle()``.
    mutating func record(page index: UInt64, payloadOffset: UInt64) {
        if let last = batch.last, index < last.end || batch.count >= Self.batchLimit { settle() }
        trimmed[index] = nil
        let run = Run(first: UInt32(index), count: 1, payload: payloadOffset)
        if let last = batch.last, last.isContinued(by: run) {
            batch[batch.count - 1].count += 1
        } else {
            batch.append(run)
        }
    }

    /// Merges the pages recorded since the last call into the map.
    mutating func settle() {
        guard !batch.isEmpty else { return }
        merge(batch)
        batch.removeAll(keepingCapacity: true)
    }

    /// The log was cut to `length` bytes: pages past it are dropped, the one across it trimmed.
    mutating func cut(to length: UInt64) {
        settle()
        let pageSize = UInt64(RedoLog.pageSize)
        let kept = (length + pageSize - 1) / pageSize
        let index = firstRun(endingAfter: kept)
        if index < runs.count, UInt64(runs[index].first) < kept {
            runs[index] = runs[index].prefix(upTo: kept)
            runs.removeSubrange((index + 1)...)
        } else {
            runs.removeSubrange(index...)
        }
        trimmed = trimmed.filter { $0.key < kept }
        if length % pageSize != 0, run(holding: length / pageSize) != nil {
            trimmed[length / pageSize] = min(trimmed[length / pageSize] ?? RedoLog.pageSize, Int(length % pageSize))
        }
        fileCut = min(fileCut, length)
    }

    /// Where page `page`'s bytes are in the log and how many of them count, or nil when the log has no record
    /// of it.
    func location(of page: UInt64) -> (payloadOffset: UInt64, validBytes: Int)? {
        guard let run = run(holding: page) else { return nil }
        return (run.payload(of: page), trimmed[page] ?? RedoLog.pageSize)
    }

    /// Fills `buffer` with the bytes at `offset` as the map sees them: logged pages from `log`, the rest from
    /// `base` below the cut, zeros elsewhere. The caller clamps the range to the logical length and has settled
    /// the map.
    func read(
        at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer, base: any ByteStore, log: (any ByteStore)?
    ) throws(BlockIOError) {
        assert(batch.isEmpty, "pages recorded but not settled")
        let pageSize = UInt64(RedoLog.pageSize)
        let end = offset + UInt64(buffer.count)
        var index = firstRun(endingAfter: offset / pageSize)
        var done = 0
        while done < buffer.count {
            let position = offset + UInt64(done)
            let page = position / pageSize
            let inPage = Int(position % pageSize)
            while index < runs.count, runs[index].end <= page { index += 1 }
            if let log, index < runs.count, UInt64(runs[index].first) <= page {
                let payloadOffset = runs[index].payload(of: page)
                let count = min(buffer.count - done, RedoLog.pageSize - inPage)
                let target = UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + count)])
                let valid = max(0, min(count, (trimmed[page] ?? RedoLog.pageSize) - inPage))
                if valid > 0 {
                    let got = try log.read(
                        at: payloadOffset + UInt64(inPage),
                        into: UnsafeMutableRawBufferPointer(rebasing: target[0..<valid]))
                    guard got == valid else {
                        throw BlockIOError(
                            .truncated, "the edit journal ends inside a page record", path: log.path,
                            offset: payloadOffset)
                    }
                }
                UnsafeMutableRawBufferPointer(rebasing: target[valid...]).initializeMemory(as: UInt8.self, repeating: 0)
                done += count
                continue
            }
            // The pages the log does not hold, up to the next run: one read from the file.
            var runEnd = end
            if log != nil, index < runs.count { runEnd = min(end, UInt64(runs[index].first) * pageSize) }
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

    // MARK: Internals

    /// The index of the first run that ends after `page` (`runs.count` when none does).
    private func firstRun(endingAfter page: UInt64) -> Int {
        var low = 0
        var high = runs.count
        while low < high {
            let middle = (low + high) / 2
            if runs[middle].end <= page { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The run holding `page`, if any.
    private func run(holding page: UInt64) -> Run? {
        let index = firstRun(endingAfter: page)
        guard index < runs.count, UInt64(runs[index].first) <= page else { return nil }
        return runs[index]
    }

    /// Merges `newer` (sorted, not overlapping, newer than every run held) into ``runs``, in place.
    ///
    /// The old runs are moved to the back of the array, behind room for `2 * newer.count` runs, then the merged
    /// list is written from the front: each newer run adds itself and at most one more piece of an old run it
    /// splits, so the write position never passes the next old run still to be read.
    private mutating func merge(_ newer: [Run]) {
        if runs.isEmpty || UInt64(newer[0].first) >= runs[runs.count - 1].end {
            for run in newer {
                if let last = runs.last, last.isContinued(by: run) {
                    runs[runs.count - 1].count += run.count
                } else {
                    runs.append(run)
                }
            }
            return
        }
        let oldCount = runs.count
        let room = 2 * newer.count
        runs.append(contentsOf: repeatElement(Run(first: 0, count: 0, payload: 0), count: room))
        var move = oldCount - 1
        while move >= 0 {
            runs[move + room] = runs[move]
            move -= 1
        }
        var next = room  // the next old run to read
        var written = 0
        func emit(_ run: Run) {
            if written > 0, runs[written - 1].isContinued(by: run) {
                runs[written - 1].count += run.count
            } else {
                runs[written] = run
                written += 1
            }
        }
        func readOld() -> Run? {
            guard next < runs.count else { return nil }
            next += 1
            return runs[next - 1]
        }
        var old = readOld()
        var position = 0
        while position < newer.count {
            let run = newer[position]
            if let current = old, current.first < run.first {
                if current.end <= UInt64(run.first) {
                    emit(current)
                    old = readOld()
                } else {
                    emit(current.prefix(upTo: UInt64(run.first)))
                    old = current.suffix(from: UInt64(run.first))
                }
                continue
            }
            emit(run)
            position += 1
            // Old pages the newer run covers are gone; an old run reaching past it keeps its tail.
            while let current = old, UInt64(current.first) < run.end {
                if current.end > run.end {
                    old = current.suffix(from: run.end)
                    break
                }
                old = readOld()
            }
        }
        while let current = old {
            emit(current)
            old = readOld()
        }
        runs.removeLast(runs.count - written)
    }
}
