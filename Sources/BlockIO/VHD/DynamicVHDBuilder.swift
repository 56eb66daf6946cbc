/// Writes a new dynamic or differencing VHD into an empty store, block by block, in the layout qemu and
/// VirtualBox use: footer copy at 0, header at 512, BAT at 1536, parent locator data after the BAT, then the
/// blocks in the order they are appended, then the footer.
///
/// Meant for a file nobody else sees yet (``ImageCreator`` and ``ImageConverter`` write to a temporary file
/// and rename it), so it does not order its writes for crash safety; ``DynamicVHD`` does that for live images.
final class DynamicVHDBuilder {
    /// Where the parent of a new differencing disk is and who it is.
    struct ParentReference {
        var uniqueID: VHDUniqueID
        var timestamp: VHDTimestamp
        /// The parent's file name (header `parent_unicode_name`).
        var name: String
        /// The parent's absolute host path (`W2ku` and `MacX` locators).
        var absolutePath: String
        /// The parent's path relative to the child's folder, `\`-separated, starting `.\` (`W2ru` locator).
        var relativePath: String
    }

    let store: any ByteStore
    let footer: VHDFooter
    let header: DynamicHeader
    private var table: BlockAllocationTable
    private var nextOffset: UInt64
    private let bitmap: [UInt8]

    /// The number of blocks allocated so far.
    private(set) var allocatedBlocks = 0

    /// Lays out a disk of `footer.currentSize` bytes (`footer.type` dynamic or differencing).
    init(store: any ByteStore, footer: VHDFooter, blockSize: UInt32, parent: ParentReference?) throws(BlockIOError) {
        let size = footer.currentSize
        let entries = (size + UInt64(blockSize) - 1) / UInt64(blockSize)
        guard entries <= UInt64(UInt32.max) else {
            throw BlockIOError(.tooLarge, "disk of \(size) bytes needs too many blocks", path: store.path)
        }
        let tableOffset: UInt64 = 1536
        var offset = tableOffset + UInt64(BlockAllocationTable.byteCount(entries: Int(entries)))
        var locators: [ParentLocator] = []
        var payloads: [(UInt64, [UInt8])] = []
        var parentName = ""
        var parentID = VHDUniqueID.zero
        var parentTime = VHDTimestamp(secondsSince2000: 0)
        if let parent {
            parentName = parent.name
            parentID = parent.uniqueID
            parentTime = parent.timestamp
            let paths: [(ParentLocator.Platform, String)] = [
                (.w2ku, parent.absolutePath), (.w2ru, parent.relativePath), (.macX, parent.absolutePath),
            ]
            for (platform, path) in paths {
                let payload = ParentLocator.encodePath(path, platform: platform)
                let space = UInt64((payload.count + 511) / 512 * 512)
                locators.append(
                    ParentLocator(
                        platform: platform, dataSpace: UInt32(space), dataLength: UInt32(payload.count),
                        dataOffset: offset))
                payloads.append((offset, payload))
                offset += space
            }
        }
        self.store = store
        self.footer = footer
        header = DynamicHeader(
            tableOffset: tableOffset, maxTableEntries: UInt32(entries), blockSize: blockSize,
            parentUniqueID: parentID, parentTimestamp: parentTime, parentName: parentName, parentLocators: locators)
        table = BlockAllocationTable(unallocatedCount: Int(entries))
        nextOffset = offset
        bitmap = [UInt8](repeating: 0xFF, count: Int(header.bitmapSize))
        for (at, payload) in payloads { try store.write(at: at, bytes: payload) }
    }

    /// Stores block `index` if `writeData` puts any bytes into its data area: it is given the store offset of
    /// that area (one block long, a hole until written), writes what is not zero (zero 4 KiB pieces stay holes)
    /// and returns how many bytes it wrote. A block it writes nothing into is left unallocated (it reads as
    /// zeros); a stored one gets every bitmap bit set. Returns `writeData`'s count.
    func appendBlock(
        _ index: Int, writingDataWith writeData: (UInt64) throws(BlockIOError) -> Int
    )
        throws(BlockIOError) -> Int
    {
        let start = nextOffset
        let written = try writeData(start + header.bitmapSize)
        guard written > 0 else { return 0 }
        try store.write(at: start, bytes: bitmap)
        table.entries[index] = UInt32(start / 512)
        nextOffset = start + header.bitmapSize + UInt64(header.blockSize)
        allocatedBlocks += 1
        return written
    }

    /// Writes the BAT, the header and both footers; the file then ends with the footer.
    func finish() throws(BlockIOError) {
        let footerBytes = footer.serialized()
        try store.write(at: 0, bytes: footerBytes)
        try store.write(at: 512, bytes: header.serialized())
        try store.write(at: header.tableOffset, bytes: table.serialized())
        try store.write(at: nextOffset, bytes: footerBytes)
        try store.setLength(nextOffset + 512)
    }
}
