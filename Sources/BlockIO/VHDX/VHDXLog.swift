/// Finds the active sequence of a VHDX metadata log and gives the changes it holds, to be replayed.
///
/// The log (`log_length` bytes at `log_offset`, both from the current header) is circular. It holds changes
/// only while the header's `log_guid` is non-zero. A sequence is a run of valid entries, one after the other in
/// the log, whose sequence numbers count up by one; it is complete when its last entry (the head) names the
/// first as its `tail`. The active sequence is the complete one with the largest head sequence number; its
/// entries are applied in order, tail to head. An entry whose checksum is wrong, or whose header does not
/// carry the log GUID, ends a sequence (that is how a torn write shows); an entry whose checksum is right but
/// whose contents are malformed is an error.
///
/// The specification requires replay before any read of a file whose log is not empty. vhdedit replays in
/// memory (``VHDXReplayedStore``) and never writes the file.
public enum VHDXLog {
    /// The active sequence's entries, tail first, with the log position of each.
    public struct Sequence: Sendable {
        /// The entries of the active sequence, in log order, with their position in the log.
        public var entries: [(position: UInt64, entry: VHDXLogEntry)]
        /// The head's sequence number.
        public var headSequenceNumber: UInt64 { entries.last?.entry.sequenceNumber ?? 0 }
        /// The file's length once applied.
        public var lastFileOffset: UInt64 { entries.last?.entry.lastFileOffset ?? 0 }
    }

    /// The active sequence of `header`'s log in `store`, or `nil` when there is nothing to replay (no log GUID,
    /// an empty log, or no complete sequence).
    ///
    /// - Parameter store: the VHDX file's bytes.
    /// - Parameter header: the current header, whose log GUID and log region are used.
    /// - Parameter headerOffset: where `header` lies, for error messages.
    /// - Throws: ``BlockIOError``: a malformed entry whose checksum is right (see ``VHDXLogEntry``), or
    ///   `truncated` when an entry of the active sequence says the file was longer than it is
    ///   (`flushed_file_offset`): the file has lost data written before the log.
    public static func activeSequence(
        in store: any ByteStore, header: VHDXHeader, headerOffset: UInt64
    )
        throws(BlockIOError) -> Sequence?
    {
        guard header.logGUID != .zero, header.logLength > 0 else { return nil }
        let logLength = UInt64(header.logLength)
        let sectors = Int(logLength / VHDXLogEntry.sectorSize)
        var reader = EntryReader(
            store: store, logOffset: header.logOffset, logLength: logLength, logGUID: header.logGUID)
        // For each position: the head reached by following consecutive entries from it, and their total length.
        var chains: [Int: (head: Int, length: UInt64)] = [:]
        var best: (start: Int, head: Int)?
        var bestSequence: UInt64 = 0
        for start in 0..<sectors {
            guard try reader.entry(at: start) != nil else { continue }
            var path: [Int] = []
            var position = start
            var found: (head: Int, length: UInt64)
            while true {
                if let known = chains[position] {
                    found = known
                    break
                }
                let entry = try reader.entry(at: position)!
                path.append(position)
                let next = (position + Int(UInt64(entry.entryLength) / VHDXLogEntry.sectorSize)) % sectors
                if let following = try reader.entry(at: next), following.sequenceNumber == entry.sequenceNumber &+ 1,
                    path.count < sectors
                {
                    position = next
                } else {
                    found = (position, 0)
                    break
                }
            }
            for step in path.reversed() {
                found.length += UInt64(try reader.entry(at: step)!.entryLength)
                chains[step] = found
            }
            guard let head = try reader.entry(at: found.head), UInt64(head.tail) / VHDXLogEntry.sectorSize == start,
                found.length <= logLength
            else { continue }
            if best == nil || head.sequenceNumber > bestSequence {
                best = (start, found.head)
                bestSequence = head.sequenceNumber
            }
        }
        guard let best else { return nil }
        var entries: [(position: UInt64, entry: VHDXLogEntry)] = []
        var position = best.start
        let fileLength = try store.length()
        while true {
            let entry = try reader.entry(at: position)!
            guard entry.flushedFileOffset <= fileLength else {
                throw BlockIOError(
                    .truncated,
                    "the entry says the file was at least \(entry.flushedFileOffset) bytes long, but it is \(fileLength): "
                        + "data written before the log is lost",
                    path: store.path, offset: header.logOffset + UInt64(position) * VHDXLogEntry.sectorSize + 48,
                    structure: "VHDX log entry", field: "flushed_file_offset")
            }
            entries.append((UInt64(position) * VHDXLogEntry.sectorSize, entry))
            if position == best.head { break }
            position = (position + Int(UInt64(entry.entryLength) / VHDXLogEntry.sectorSize)) % sectors
        }
        return Sequence(entries: entries)
    }

    /// Reads and remembers the entry (or its absence) at each 4 KiB position of the log.
    private struct EntryReader {
        let store: any ByteStore
        let logOffset: UInt64
        let logLength: UInt64
        let logGUID: VHDXGUID
        var known: [Int: VHDXLogEntry?] = [:]

        init(store: any ByteStore, logOffset: UInt64, logLength: UInt64, logGUID: VHDXGUID) {
            self.store = store
            self.logOffset = logOffset
            self.logLength = logLength
            self.logGUID = logGUID
        }

        /// The bytes of the log from `position` on, wrapping at its end.
        func read(at position: UInt64, count: Int) throws(BlockIOError) -> [UInt8] {
            let first = Int(min(UInt64(count), logLength - position))
            var bytes = try store.readExactly(at: logOffset + position, count: first, structure: "VHDX log")
            if first < count {
                bytes += try store.readExactly(at: logOffset, count: count - first, structure: "VHDX log")
            }
            return bytes
        }

        mutating func entry(at sector: Int) throws(BlockIOError) -> VHDXLogEntry? {
            if let cached = known[sector] { return cached }
            let position = UInt64(sector) * VHDXLogEntry.sectorSize
            let header = try read(at: position, count: VHDXLogEntry.headerSize)
            var entry: VHDXLogEntry?
            if let length = VHDXLogEntry.plausibleLength(header: header, logGUID: logGUID, logLength: logLength) {
                let bytes = try read(at: position, count: Int(length))
                let logOffset = logOffset
                let logLength = logLength
                entry = try VHDXLogEntry.decode(bytes, path: store.path) { index in
                    logOffset + (position + UInt64(index)) % logLength
                }
            }
            known[sector] = entry
            return entry
        }
    }
}
