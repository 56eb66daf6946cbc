/// Limits and names shared by the redo log's writer, reader and replay.
enum RedoLog {
    /// The page size of the overlay and of `PAGE` records.
    static let pageSize = 4096
    /// The largest image length a log may describe (16 TiB: above the 2040 GiB VHD limit, far below overflow).
    static let maximumImageLength: UInt64 = 1 << 44
}

/// A redo log that was completely written and sealed: a committed edit that must be (re)applied to its image.
///
/// Produced by ``scan(_:)``, which checks every checksum and bound before anything is believed, reading the log
/// once and keeping nothing per record in memory: the records are walked again, front to back, by
/// ``forEachRecord(in:readingPayloads:_:)`` (a replay, or the index of a read-through), so a log of any length
/// costs the same memory.
struct SealedRedoLog {
    /// One replayable step, in log order.
    enum Operation: Equatable {
        /// Write the page at `index` from the log's bytes at `payloadOffset`.
        case page(index: UInt64, payloadOffset: UInt64)
        /// Set the image length to `length` (cut the end).
        case cut(length: UInt64)
    }

    let header: RedoLogHeader

    /// The page and cut records of the log (the seal aside).
    var recordCount: Int { Int(header.recordCount) }

    /// Reads and checks the log in `log`.
    ///
    /// - Returns: the sealed log, or why it is torn (never sealed, cut short, a checksum failing).
    /// - Throws: ``BlockIOError/Code/journal`` for a log that is sealed and intact but of a version or page size
    ///   this build cannot replay (discarding it could lose a committed edit), or an I/O error.
    static func scan(_ log: any ByteStore) throws(BlockIOError) -> Result<SealedRedoLog, TornLog> {
        let length = try log.length()
        guard length >= UInt64(RedoLogHeader.size) else { return .failure(TornLog("the log ends inside its header")) }
        let headerBytes = try log.readExactly(at: 0, count: RedoLogHeader.size, structure: "journal header")
        let header: RedoLogHeader
        switch RedoLogHeader.parse(headerBytes) {
        case .failure(let torn): return .failure(torn)
        case .success(let parsed): header = parsed
        }
        guard RedoLogHeader.version(of: headerBytes) == RedoLogHeader.version else {
            throw BlockIOError(
                .journal,
                "the edit journal has version \(RedoLogHeader.version(of: headerBytes)); this vhdedit replays "
                    + "version \(RedoLogHeader.version) only, so the committed edit in it cannot be finished",
                path: log.path, offset: 8)
        }
        guard header.state == .sealed else {
            return .failure(TornLog("the log was never sealed (its session did not commit)"))
        }
        guard header.pageSize == UInt32(RedoLog.pageSize) else {
            throw BlockIOError(
                .journal,
                "the edit journal uses pages of \(header.pageSize) bytes; this vhdedit uses \(RedoLog.pageSize)",
                path: log.path, offset: 16)
        }
        let headSize = UInt64(RedoLogRecord.headSize)
        let first = UInt64(RedoLogHeader.size)
        guard header.sealOffset >= first, header.sealOffset <= length, length - header.sealOffset >= headSize else {
            return .failure(TornLog("the seal record at \(header.sealOffset) is outside the log (\(length) bytes)"))
        }
        guard header.recordCount <= (header.sealOffset - first) / headSize else {
            return .failure(TornLog("the header counts \(header.recordCount) records, more than fit before the seal"))
        }
        guard header.targetLength <= RedoLog.maximumImageLength else {
            return .failure(TornLog("the target length \(header.targetLength) is absurd"))
        }
        let seal = try log.readExactly(at: header.sealOffset, count: RedoLogRecord.headSize, structure: "journal seal")
        let sealFields = LogFields(seal)
        guard RedoLogRecord.Kind(magic: sealFields.uint32(at: 0)) == .seal,
            sealFields.uint32(at: 4) == CRC32C.checksum(seal[8..<RedoLogRecord.headSize]),
            sealFields.uint64(at: 8) == header.recordCount, sealFields.uint64(at: 16) == header.targetLength,
            sealFields.uint32(at: 24) == 0
        else {
            return .failure(TornLog("the seal record does not match the header (the seal was not completely written)"))
        }

        var offset = first
        var chain: UInt32 = 0
        var reader = LogWindowReader(store: log, end: header.sealOffset)
        let pageSize = UInt64(RedoLog.pageSize)
        for sequence in 0..<header.recordCount {
            guard header.sealOffset - offset >= headSize else {
                return .failure(TornLog("record \(sequence) at \(offset) runs into the seal"))
            }
            let head = try reader.read(at: offset, count: RedoLogRecord.headSize, structure: "journal record")
            let fields = LogFields(head)
            guard let kind = RedoLogRecord.Kind(magic: fields.uint32(at: 0)), kind != .seal else {
                return .failure(TornLog("record \(sequence) at \(offset) has no record magic"))
            }
            guard fields.uint64(at: 8) == sequence else {
                return .failure(
                    TornLog("record at \(offset) has sequence \(fields.uint64(at: 8)), expected \(sequence)"))
            }
            let payloadCount = UInt64(fields.uint32(at: 24))
            let expectedPayload = kind == .page ? pageSize : 0
            guard payloadCount == expectedPayload, header.sealOffset - offset - headSize >= payloadCount else {
                return .failure(TornLog("record \(sequence) at \(offset) has a payload of \(payloadCount) bytes"))
            }
            let payload = try reader.read(at: offset + headSize, count: Int(payloadCount), structure: "journal page")
            let computed = CRC32C.checksum(payload, continuing: CRC32C.checksum(head[8..<RedoLogRecord.headSize]))
            guard computed == fields.uint32(at: 4) else {
                return .failure(
                    TornLog(
                        "record \(sequence) at \(offset): checksum mismatch (stored \(hex(fields.uint32(at: 4))), computed \(hex(computed)))"
                    ))
            }
            let argument = fields.uint64(at: 16)
            switch kind {
            case .page:
                guard argument < RedoLog.maximumImageLength / pageSize else {
                    return .failure(TornLog("record \(sequence) names page \(argument), past any image"))
                }
            case .cut:
                guard argument <= RedoLog.maximumImageLength else {
                    return .failure(TornLog("record \(sequence) cuts to an absurd length \(argument)"))
                }
            case .seal:
                break
            }
            var crcBytes = LogFields(count: 4)
            crcBytes.set(computed, at: 0)
            chain = CRC32C.checksum(crcBytes.bytes, continuing: chain)
            offset += headSize + payloadCount
        }
        guard offset == header.sealOffset else {
            return .failure(TornLog("the records end at \(offset) but the seal is at \(header.sealOffset)"))
        }
        guard chain == sealFields.uint32(at: 28) else {
            return .failure(TornLog("the seal's record chain does not match (a record was not completely written)"))
        }
        return .success(SealedRedoLog(header: header))
    }

    /// Applies the log to `base` in place: every record in order, then the target length, then `fsync`.
    ///
    /// Idempotent: every step writes absolute bytes or sets an absolute length, so replaying a log again after a
    /// crash in the middle of a replay gives the same image.
    func replay(from log: any ByteStore, onto base: any ByteStore) throws(BlockIOError) {
        var writer = PageRunWriter(onto: base)
        try forEachRecord(in: log, readingPayloads: true) { (operation, page) throws(BlockIOError) in
            switch operation {
            case .page(let index, _): try writer.write(page: index, bytes: page)
            case .cut(let length): try writer.cut(to: length)
            }
        }
        try writer.finish(targetLength: header.targetLength)
    }

    /// Walks the records of the log in `log` (the one ``scan(_:)`` checked) front to back: `body` gets each
    /// operation and, when `readingPayloads`, a page record's bytes (else, and for cuts, an empty array).
    ///
    /// Only the fields a step needs are read again; the checksums were checked by the scan, under the image's
    /// exclusive or shared lock, which keeps writers of the log away. A record that is no longer where the
    /// scan found it is a ``BlockIOError/Code/journal`` error.
    func forEachRecord(
        in log: any ByteStore, readingPayloads: Bool,
        _ body: (Operation, [UInt8]) throws(BlockIOError) -> Void
    ) throws(BlockIOError) {
        let headSize = UInt64(RedoLogRecord.headSize)
        var reader = LogWindowReader(store: log, end: header.sealOffset)
        var offset = UInt64(RedoLogHeader.size)
        for sequence in 0..<header.recordCount {
            let head = try reader.read(at: offset, count: RedoLogRecord.headSize, structure: "journal record")
            let fields = LogFields(head)
            let kind = RedoLogRecord.Kind(magic: fields.uint32(at: 0))
            let payloadCount = UInt64(fields.uint32(at: 24))
            guard header.sealOffset - offset >= headSize, kind == .page || kind == .cut,
                fields.uint64(at: 8) == sequence,
                payloadCount == (kind == .page ? UInt64(RedoLog.pageSize) : 0),
                header.sealOffset - offset - headSize >= payloadCount
            else {
                throw BlockIOError(
                    .journal, "the edit journal changed while it was read: record \(sequence) is not as checked",
                    path: log.path, offset: offset)
            }
            if kind == .page {
                let payload =
                    readingPayloads
                    ? try reader.read(at: offset + headSize, count: RedoLog.pageSize, structure: "journal page") : []
                try body(.page(index: fields.uint64(at: 16), payloadOffset: offset + headSize), payload)
            } else {
                try body(.cut(length: fields.uint64(at: 16)), [])
            }
            offset += headSize + payloadCount
        }
    }
}

/// The writes of a replay, in log order: pages (consecutive ones coalesced into writes of up to 1 MiB; the
/// writer sorts them), cuts, then the target length and `fsync`. Used by ``SealedRedoLog/replay(from:onto:)``
/// and by a commit whose records are all still in memory, so both write the same bytes in the same order.
struct PageRunWriter {
    private let base: any ByteStore
    private var run: [UInt8] = []
    private var runStart: UInt64 = 0
    private var unsynced = 0

    init(onto base: any ByteStore) { self.base = base }

    /// The page at `index` gets `bytes` (a whole page).
    mutating func write(page index: UInt64, bytes: [UInt8]) throws(BlockIOError) {
        let pageSize = UInt64(RedoLog.pageSize)
        if run.isEmpty || index != runStart + UInt64(run.count) / pageSize || run.count >= 1 << 20 {
            try flush()
            runStart = index
        }
        run += bytes
    }

    /// Sets the image length to `length` after the pages before.
    mutating func cut(to length: UInt64) throws(BlockIOError) {
        try flush()
        try base.setLength(length)
    }

    /// Writes what is pending, sets the target length and `fsync`s the image.
    mutating func finish(targetLength: UInt64) throws(BlockIOError) {
        try flush()
        try base.setLength(targetLength)
        try base.sync()
    }

    private mutating func flush() throws(BlockIOError) {
        guard !run.isEmpty else { return }
        try base.write(at: runStart * UInt64(RedoLog.pageSize), bytes: run)
        unsynced += run.count
        run.removeAll(keepingCapacity: true)
        // The final fsync waits for every page: writing them back starts every 8 MiB, while the replay goes on.
        if unsynced >= 8 << 20, let file = base as? HostFile {
            file.startWriteback()
            unsynced = 0
        }
    }
}

/// Reads a log's records front to back a window at a time: one read of the next megabyte serves the next
/// records, instead of two reads for each record.
struct LogWindowReader {
    static let windowBytes = 1 << 20

    let store: any ByteStore
    /// Where the records end (the seal's offset): a window never reaches past it.
    let end: UInt64
    private var window: [UInt8] = []
    private var windowStart: UInt64 = 0

    init(store: any ByteStore, end: UInt64) {
        self.store = store
        self.end = end
    }

    /// The `count` bytes at `offset`, or ``BlockIOError/Code/truncated`` naming `structure`.
    mutating func read(
        at offset: UInt64, count: Int, structure: @autoclosure () -> String
    ) throws(BlockIOError)
        -> [UInt8]
    {
        if offset < windowStart || offset + UInt64(count) > windowStart + UInt64(window.count) {
            let wanted = offset < end ? min(UInt64(Self.windowBytes), end - offset) : 0
            window = try store.readExactly(at: offset, count: max(count, Int(wanted)), structure: structure())
            windowStart = offset
        }
        let start = Int(offset - windowStart)
        return Array(window[start..<(start + count)])
    }
}

/// Appends records to a new redo log, then seals it.
final class RedoLogWriter {
    let store: any ByteStore
    private var header: RedoLogHeader
    private(set) var end = UInt64(RedoLogHeader.size)
    private(set) var recordCount: UInt64 = 0
    private var chain: UInt32 = 0
    /// Records appended but not yet written (they end at `end`).
    private var pending: [UInt8] = []
    /// Records are written once this many bytes of them are pending (1 MiB).
    static let flushBytes = 1 << 20

    /// Writes an open (not yet valid) header to the empty log `store`.
    init(store: any ByteStore, image: FileIdentity, imagePath: String, originalLength: UInt64) throws(BlockIOError) {
        self.store = store
        header = RedoLogHeader(
            state: .open, pageSize: UInt32(RedoLog.pageSize), image: image, originalLength: originalLength,
            targetLength: 0, recordCount: 0, sealOffset: 0, imagePath: imagePath)
        try store.write(at: 0, bytes: header.serialized())
        // Room for a full megabyte of records from the start: growing to it by doubling would hold the old and
        // the new buffer at once.
        pending.reserveCapacity(Self.flushBytes + RedoLogRecord.headSize + RedoLog.pageSize)
    }

    /// Appends a `PAGE` record; returns the offset of its payload.
    func appendPage(index: UInt64, bytes: [UInt8]) throws(BlockIOError) -> UInt64 {
        try append(RedoLogRecord.encode(.page, sequence: recordCount, argument: index, payload: bytes))
        return end - UInt64(bytes.count)
    }

    /// Appends a `CUT_` record.
    func appendCut(length: UInt64) throws(BlockIOError) {
        try append(RedoLogRecord.encode(.cut, sequence: recordCount, argument: length))
    }

    private func append(_ record: [UInt8]) throws(BlockIOError) {
        if pending.count + record.count > Self.flushBytes { try flush() }
        pending += record
        var crcBytes = LogFields(count: 4)
        crcBytes.set(LogFields(record).uint32(at: 4), at: 0)
        chain = CRC32C.checksum(crcBytes.bytes, continuing: chain)
        end += UInt64(record.count)
        recordCount += 1
    }

    /// Writes the records appended since the last flush (kept in memory, up to 1 MiB, so that a commit's log
    /// is a few large writes rather than one per page). Records must be flushed before they are read back.
    func flush() throws(BlockIOError) {
        guard !pending.isEmpty else { return }
        try store.write(at: end - UInt64(pending.count), bytes: pending)
        pending.removeAll(keepingCapacity: true)
        // The seal's fsync waits for every record: writing them back starts now, while the session goes on.
        (store as? HostFile)?.startWriteback()
    }

    /// Writes the seal record and the sealed header, then `fsync`s the log.
    func seal(targetLength: UInt64) throws(BlockIOError) {
        try flush()
        let seal = RedoLogRecord.encode(.seal, sequence: recordCount, argument: targetLength, chain: chain)
        try store.write(at: end, bytes: seal)
        header.state = .sealed
        header.targetLength = targetLength
        header.recordCount = recordCount
        header.sealOffset = end
        try store.write(at: 0, bytes: header.serialized())
        try store.sync()
    }
}

extension BlockIOError.Code {
    /// An edit journal (`<image>.vhdedit-journal`) cannot be used: it belongs to another file, or cannot be
    /// replayed by this version.
    public static let journal = BlockIOError.Code("journal")
}
