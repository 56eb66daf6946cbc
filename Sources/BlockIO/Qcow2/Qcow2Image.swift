import Decompression

/// A qcow2 image (version 2 or 3) as a read-only ``BlockDevice``: clusters of 512 B to 2 MiB found through
/// the L1/L2 tables, zero clusters, compressed clusters (zlib or zstd), extended L2 entries (subclusters) and a
/// backing file of any format vhdedit reads (raw, qcow2, VHD), opened read-only.
///
/// Nothing is ever written: qcow2 images are read and converted (``ImageConverter``), and a writable open is
/// refused before it starts (``DiskImage/open(path:writable:)``). Snapshots are not read; the active L1 table
/// is the disk.
public final class Qcow2Image: BlockDevice {
    /// The file the image lives in.
    public let store: any ByteStore
    /// The parsed header.
    public let header: Qcow2Header
    /// The backing file name and format from the header.
    public let extensions: Qcow2HeaderExtensions
    /// The backing image, opened read-only, when the image has one.
    public let backing: DiskImage?
    /// The file's length when it was opened.
    public let fileLength: UInt64
    /// What the open found that does not stop reading (dirty or corrupt bits).
    public let warnings: [String]
    /// The virtual disk's size in bytes.
    public var size: UInt64 { header.size }
    /// Always false: qcow2 images are read only.
    public var isWritable: Bool { false }

    let map: Qcow2ClusterMap
    /// The last decoded compressed cluster (its file offset and bytes): sequential reads decode each once.
    private var decoded: (hostOffset: UInt64, bytes: [UInt8])?
    /// The decoder of compressed clusters (its zstd context lives as long as the image).
    private lazy var decoder = BlockDecoder(codec: header.compressionType == .zstd ? .zstd : .deflate)

    /// The largest backing chain accepted (loops are caught earlier; this bounds open files).
    static let maximumDepth = 256

    /// Opens the qcow2 image in `store`; its backing file, if any, is found relative to the image's folder and
    /// opened read-only in the format the header names (`backing_fmt`), or the one its content shows.
    ///
    /// - Parameter ancestors: canonical paths of the images that are already children in this chain (for the
    ///   loop check); callers start with none.
    /// - Parameter store: the image file's bytes.
    /// - Throws: ``BlockIOError``: a malformed header (``Qcow2Header/init(reading:length:)``), a malformed L1
    ///   table, or ``BlockIOError/Code/parent`` when the backing file is missing, of another format than
    ///   declared, or the chain loops.
    public static func open(store: any ByteStore, ancestors: [String] = []) throws(BlockIOError) -> Qcow2Image {
        let length = try store.length()
        let header = try Qcow2Header(reading: store, length: length)
        let extensions = try Qcow2HeaderExtensions(reading: store, header: header, length: length)
        var warnings: [String] = []
        if header.isDirty {
            warnings.append(
                "the image was not closed cleanly (dirty bit set): its refcounts may be stale; the data is read as it is"
            )
        }
        if header.isCorrupt {
            warnings.append(
                "qemu marked the image corrupt (corrupt bit set): what is read may be wrong; `qemu-img check -r all` repairs it"
            )
        }
        let map = try Qcow2ClusterMap(store: store, header: header, fileLength: length)
        var backing: DiskImage?
        if let name = extensions.backingFile {
            let own = HostPaths.canonical(store.path) ?? store.path
            backing = try Qcow2BackingFile.open(
                name: name, format: extensions.backingFormat, of: store.path, header: header,
                ancestors: ancestors + [own])
        }
        return Qcow2Image(
            store: store, header: header, extensions: extensions, backing: backing, fileLength: length,
            warnings: warnings,
            map: map)
    }

    private init(
        store: any ByteStore, header: Qcow2Header, extensions: Qcow2HeaderExtensions, backing: DiskImage?,
        fileLength: UInt64, warnings: [String], map: Qcow2ClusterMap
    ) {
        self.store = store
        self.header = header
        self.extensions = extensions
        self.backing = backing
        self.fileLength = fileLength
        self.warnings = warnings
        self.map = map
    }

    /// This image's backing chain, nearest first (not including this image).
    public var backingChain: [DiskImage] {
        guard let backing else { return [] }
        return [backing] + (backing.qcow2?.backingChain ?? [])
    }

    /// Reads virtual-disk bytes through the L1/L2 tables: stored and compressed clusters from the file, zero and unallocated ones as zeros or from the backing file.
    /// - Parameters:
    /// - offset: The byte offset in the virtual disk.
    /// - buffer: Where the bytes go.
    /// - Throws: `BlockIOError` for a read past the end or a malformed table entry.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count, what: "qcow2 disk")
        var done = 0
        while done < buffer.count {
            let position = offset + UInt64(done)
            let (mapping, unit) = try map.lookup(position)
            var count = Int(min(UInt64(buffer.count - done), unit.upperBound - position))
            switch mapping {
            case .data(let host):
                let start = host + (position - unit.lowerBound)
                // Take the following units too while they lie right after this one in the file.
                while done + count < buffer.count {
                    let next = position + UInt64(count)
                    let (nextMapping, nextUnit) = try map.lookup(next)
                    guard case .data(let nextHost) = nextMapping, nextHost == start + UInt64(count) else { break }
                    count += Int(min(UInt64(buffer.count - done - count), nextUnit.upperBound - next))
                }
                try readFile(at: start, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + count]))
            case .zero:
                UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + count]).initializeMemory(
                    as: UInt8.self, repeating: 0)
            case .backing:
                try readBacking(
                    at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + count]))
            case .compressed(let host, let stored):
                let bytes = try decode(hostOffset: host, size: stored, cluster: unit.lowerBound)
                let from = Int(position - unit.lowerBound)
                bytes.withUnsafeBytes { source in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + count])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[from..<from + count]))
                }
            }
            done += count
        }
    }

    /// Reads file bytes of a data cluster; bytes past the end of the file read as zeros (as qemu reads them: a
    /// last cluster may be cut short).
    private func readFile(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        let got = try store.read(at: offset, into: buffer)
        if got < buffer.count {
            UnsafeMutableRawBufferPointer(rebasing: buffer[got...]).initializeMemory(as: UInt8.self, repeating: 0)
        }
    }

    /// Reads disk bytes through the backing image; past its end (or without one) they are zeros.
    private func readBacking(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        var present = 0
        if let device = backing?.device, offset < device.size {
            present = Int(min(UInt64(buffer.count), device.size - offset))
            try device.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<present]))
        }
        if present < buffer.count {
            UnsafeMutableRawBufferPointer(rebasing: buffer[present...]).initializeMemory(as: UInt8.self, repeating: 0)
        }
    }

    /// The decoded bytes of the compressed cluster stored at `hostOffset`.
    private func decode(hostOffset: UInt64, size: Int, cluster: UInt64) throws(BlockIOError) -> [UInt8] {
        if let decoded, decoded.hostOffset == hostOffset { return decoded.bytes }
        let input = try store.readExactly(at: hostOffset, count: size, structure: "qcow2 compressed cluster")
        // The last cluster's buffer, taken out of `decoded` first so that it is the only reference and is decoded
        // into in place (not copied on write).
        var output = decoded?.bytes ?? []
        decoded = nil
        if output.count != Int(map.clusterSize) { output = [UInt8](repeating: 0, count: Int(map.clusterSize)) }
        do throws(BlockDecodingError) {
            try decoder.decode(input, into: &output)
        } catch {
            decoded = nil
            throw BlockIOError(
                .invalidField, "the compressed cluster for disk byte \(cluster) cannot be decoded: \(error)",
                path: store.path, offset: hostOffset, structure: "qcow2 compressed cluster")
        }
        decoded = (hostOffset, output)
        return output
    }

    /// Refused: qcow2 images are read only (convert them).
    /// - Throws: `BlockIOError` with code `readOnly`.
    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        throw BlockIOError(
            .readOnly, "qcow2 images are read only; convert to a VHD or raw image to change it", path: store.path)
    }

    /// Nothing to flush: nothing is written.
    public func flush() throws(BlockIOError) {}

    /// Whether every byte of `range` reads as zero without reading data: zero clusters, and unallocated clusters whose backing file (if any) knows them to be zero.
    /// - Parameter range: Byte offsets of the virtual disk.
    /// - Returns: True when the range is known to be zero.
    /// - Throws: `BlockIOError` when a table cannot be read.
    public func isKnownZero(_ range: Range<UInt64>) throws(BlockIOError) -> Bool {
        guard range.upperBound <= size else { return false }
        var position = range.lowerBound
        while position < range.upperBound {
            let (mapping, unit) = try map.lookup(position)
            let end = min(unit.upperBound, range.upperBound)
            switch mapping {
            case .zero: break
            case .backing:
                if let device = backing?.device, position < device.size,
                    !(try device.isKnownZero(position..<min(end, device.size)))
                {
                    return false
                }
            case .data, .compressed: return false
            }
            position = end
        }
        return true
    }

    /// Sorted, non-overlapping disk ranges outside which every byte is zero: allocated and compressed
    /// clusters, and the backing image's data ranges under units that read through to it. Reads every L2
    /// table once.
    ///
    /// - Throws: ``BlockIOError`` for an L2 entry that points outside the file or into metadata.
    public func dataRanges() throws(BlockIOError) -> [Range<UInt64>] {
        var stored: [Range<UInt64>] = []
        var through: [Range<UInt64>] = []
        func add(_ range: Range<UInt64>, to list: inout [Range<UInt64>]) { list.appendMerging(range) }
        let perL1 = map.clusterSize * UInt64(map.entriesPerL2)
        for index in 0..<map.l1.count {
            let start = UInt64(index) * perL1
            guard start < size else { break }
            let end = min(start + perL1, size)
            guard try map.l2Offset(index) != nil else {
                add(start..<end, to: &through)
                continue
            }
            var position = start
            while position < end {
                let (mapping, unit) = try map.lookup(position)
                let piece = position..<min(unit.upperBound, end)
                switch mapping {
                case .data, .compressed: add(piece, to: &stored)
                case .backing: add(piece, to: &through)
                case .zero: break
                }
                position = piece.upperBound
            }
        }
        guard let backing else { return stored }
        let below = try DataRanges.of(backing)
        var result = stored
        var cursor = 0
        for range in through {
            while cursor < below.count && below[cursor].upperBound <= range.lowerBound { cursor += 1 }
            var next = cursor
            while next < below.count && below[next].lowerBound < range.upperBound {
                let piece = below[next].clamped(to: range)
                if !piece.isEmpty { result.append(piece) }
                next += 1
            }
        }
        return DataRanges.merge(result)
    }
}

extension Qcow2Image: StoredRuns {
    /// Runs of allocated clusters that follow each other in the file and lie wholly inside it are stored as
    /// they are; the rest (zeros, backing, compressed, a cut-short last cluster) is read through the device.
    func storedRun(at offset: UInt64, count: Int) throws(BlockIOError) -> StoredRun {
        var taken = 0
        var start: UInt64?
        while taken < count {
            let position = offset + UInt64(taken)
            let (mapping, unit) = try map.lookup(position)
            let piece = Int(min(UInt64(count - taken), unit.upperBound - position))
            let isStored: Bool
            var host: UInt64 = 0
            if case .data(let unitHost) = mapping {
                host = unitHost + (position - unit.lowerBound)
                isStored = host + UInt64(piece) <= fileLength && (start.map { $0 + UInt64(taken) == host } ?? true)
            } else {
                isStored = false
            }
            if taken == 0 {
                if !isStored {
                    // A run read through the device: up to the next stored unit.
                    var length = piece
                    while length < count {
                        let (nextMapping, nextUnit) = try map.lookup(offset + UInt64(length))
                        if case .data = nextMapping { break }
                        length += Int(min(UInt64(count - length), nextUnit.upperBound - (offset + UInt64(length))))
                    }
                    return .elsewhere(count: length)
                }
                start = host
            } else if !isStored {
                break
            }
            taken += piece
        }
        return .stored(storeOffset: start ?? 0, count: taken)
    }
}
