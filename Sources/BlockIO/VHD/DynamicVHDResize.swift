/// Resizing a dynamic VHD in its store: the BAT gets one entry per block of the new size, in place at its
/// `table_offset`; blocks that lie where the larger table must go are copied to the end of the file first.
///
/// Meant to run under an ``EditJournal`` (``DiskImage/resizeDisk(to:)``): the journal makes the whole change
/// (moved blocks, table, header, both footers, new length) one atomic unit, so the writes here need no order
/// of their own.
enum DynamicVHDResize {
    /// What the resize moved, for reports and tests.
    struct Outcome {
        /// Block indices whose data was copied to the end of the file to make room for the table.
        var movedBlocks: [Int]
    }

    @discardableResult
    static func resize(
        store: any ByteStore, structure: VHDFileStructure, to newSize: UInt64
    ) throws(BlockIOError)
        -> Outcome
    {
        let path = store.path
        guard var header = structure.header, let oldTable = structure.table else {
            throw BlockIOError(.invalidArgument, "not a dynamic VHD", path: path)
        }
        let oldSize = structure.footer.currentSize
        let blockSize = UInt64(header.blockSize)
        let span = header.bitmapSize + blockSize
        let newCount = (newSize + blockSize - 1) / blockSize
        guard newCount <= UInt64(UInt32.max) else {
            throw BlockIOError(.tooLarge, "a disk of \(newSize) bytes needs too many blocks", path: path)
        }
        let oldUsed = Int((oldSize + blockSize - 1) / blockSize)
        let tableOffset = header.tableOffset
        let tableEnd = tableOffset + UInt64(BlockAllocationTable.byteCount(entries: Int(newCount)))
        let tableRange = tableOffset..<tableEnd
        let headerRange = structure.footer.dataOffset..<(structure.footer.dataOffset + UInt64(DynamicHeader.size))
        guard !tableRange.overlaps(headerRange), !tableRange.overlaps(0..<512) else {
            throw BlockIOError(
                .unsupported,
                "the BAT of \(newCount) entries at byte \(tableOffset) would overlap the dynamic header or the "
                    + "footer copy (a layout vhdedit does not rearrange)", path: path,
                offset: structure.footer.dataOffset + 16,
                structure: "dynamic disk header", field: "table_offset")
        }

        // Entries past the old size never held disk data the old disk showed; entries past the new size go.
        var entries = oldTable.entries
        for index in entries.indices where index >= min(oldUsed, Int(newCount)) {
            entries[index] = BlockAllocationTable.unallocated
        }
        if entries.count > Int(newCount) {
            entries.removeLast(entries.count - Int(newCount))
        } else {
            entries += [UInt32](repeating: BlockAllocationTable.unallocated, count: Int(newCount) - entries.count)
        }

        // Blocks in the way of the larger table move to the end of the file, in file order.
        var next = max(structure.freeOffset, (tableEnd + 511) / 512 * 512)
        var moved: [Int] = []
        let inTheWay = entries.indices.filter { index in
            guard entries[index] != BlockAllocationTable.unallocated else { return false }
            let start = UInt64(entries[index]) * 512
            return (start..<start + span).overlaps(tableRange)
        }.sorted { entries[$0] < entries[$1] }
        for index in inTheWay {
            let start = UInt64(entries[index]) * 512
            var position: UInt64 = 0
            let piece: UInt64 = 1 << 20
            while position < span {
                let count = Int(min(piece, span - position))
                let bytes = try store.readExactly(at: start + position, count: count, structure: "block \(index)")
                try store.write(at: next + position, bytes: bytes)
                position += UInt64(count)
            }
            guard next / 512 <= UInt64(UInt32.max - 1) else {
                throw BlockIOError(.tooLarge, "the file would pass the BAT's 2 TiB sector limit", path: path)
            }
            entries[index] = UInt32(next / 512)
            next += span
            moved.append(index)
        }

        // Bytes of the old last block past the old size read as zeros once the disk grows.
        if newSize > oldSize, oldSize % blockSize != 0, oldUsed - 1 < entries.count,
            entries[oldUsed - 1] != BlockAllocationTable.unallocated
        {
            let dataStart = UInt64(entries[oldUsed - 1]) * 512 + header.bitmapSize
            let inBlock = oldSize % blockSize
            let end = min(blockSize, newSize - (oldSize - inBlock))
            try store.write(at: dataStart + inBlock, bytes: [UInt8](repeating: 0, count: Int(end - inBlock)))
        }

        let table = BlockAllocationTable(entries: entries)
        try store.write(at: tableOffset, bytes: table.serialized())
        header.maxTableEntries = UInt32(newCount)
        header.checksum = header.computedChecksum
        try store.write(at: structure.footer.dataOffset, bytes: header.serialized())
        let footer = ResizedFooter.make(from: structure.footer, size: newSize).serialized()
        try store.write(at: 0, bytes: footer)
        // The file ends with the footer after the last block (or the table); what lay after it is cut.
        var end = (tableEnd + 511) / 512 * 512
        for entry in entries where entry != BlockAllocationTable.unallocated {
            end = max(end, UInt64(entry) * 512 + span)
        }
        end = max(end, moved.isEmpty ? end : next)
        try store.setLength(end)
        try store.write(at: end, bytes: footer)
        try store.setLength(end + 512)
        return Outcome(movedBlocks: moved)
    }
}
