/// Everything read from a VHDX file at open: identifier, current header, replayed log, region table, metadata
/// and BAT, each checked against the file (see the types for each structure's layout).
///
/// Order: the identifier and both headers are read from the file; when the current header has a log GUID the
/// log's active sequence is replayed in memory; the region table, metadata and BAT are then read through the
/// replayed bytes (the log holds changes to them).
public struct VHDXFileStructure: Sendable {
    /// The host path.
    public let path: String
    /// The file type identifier (`vhdxfile` and the creator).
    public let identifier: VHDXFileIdentifier
    /// The current header.
    public let header: VHDXHeader
    /// Where the current header lies (64 KiB or 128 KiB).
    public let headerOffset: UInt64
    /// The region table in use.
    public let regionTable: VHDXRegionTable
    /// The metadata region's table of items.
    public let metadataTable: VHDXMetadataTable
    /// The known metadata items, decoded.
    public let metadata: VHDXMetadata
    /// The block allocation table.
    public let table: VHDXBlockAllocationTable
    /// The file's length (after replay).
    public let fileLength: UInt64
    /// Log entries replayed in memory at open (0: the log was empty).
    public let replayedEntries: Int
    /// Problems found that did not stop the open.
    public let warnings: [String]

    /// Reads and checks every structure of the VHDX in `store`.
    ///
    /// - Returns: the structure and the store the disk's bytes are to be read from: `store` itself, or a
    ///   ``VHDXReplayedStore`` over it when the log held changes.
    /// - Throws: ``BlockIOError`` naming the structure, field and byte offset at fault.
    public static func read(from store: any ByteStore) throws(BlockIOError) -> (VHDXFileStructure, any ByteStore) {
        let identifier = try VHDXFileIdentifier(reading: store)
        let (header, headerOffset) = try VHDXHeader.current(in: store)
        let rawLength = try store.length()
        try header.validateLog(path: store.path, offset: headerOffset, fileLength: rawLength)
        let log = header.logLength == 0 ? 0..<0 : header.logOffset..<header.logOffset + UInt64(header.logLength)
        var source: any ByteStore = store
        var replayed = 0
        var warnings: [String] = []
        if let sequence = try VHDXLog.activeSequence(in: store, header: header, headerOffset: headerOffset) {
            source = try VHDXReplayedStore(over: store, sequence: sequence, log: log)
            replayed = sequence.entries.count
            warnings.append(
                "the log held \(replayed) entr\(replayed == 1 ? "y" : "ies") not yet applied (up to sequence number "
                    + "\(sequence.headSequenceNumber)); replayed in memory, the file is unchanged")
        }
        let fileLength = try source.length()
        // Regions lie in the file as it is: a log cannot grow them past its end.
        let regions = try VHDXRegionTable(reading: source, fileLength: rawLength, log: log)
        let metadataTable = try VHDXMetadataTable(reading: source, region: regions.metadata)
        let metadata = try VHDXMetadata(reading: source, region: regions.metadata, table: metadataTable)
        var reserved: [(range: Range<UInt64>, name: String)] = regions.entries.map {
            (
                $0.range,
                $0.guid == VHDXRegionTable.batGUID
                    ? "BAT" : $0.guid == VHDXRegionTable.metadataGUID ? "metadata region" : "region \($0.guid)"
            )
        }
        if !log.isEmpty { reserved.append((log, "log")) }
        let table = try VHDXBlockAllocationTable(
            reading: source, region: regions.bat, metadata: metadata, fileLength: fileLength, reserved: reserved)
        let structure = VHDXFileStructure(
            path: store.path, identifier: identifier, header: header, headerOffset: headerOffset, regionTable: regions,
            metadataTable: metadataTable, metadata: metadata, table: table, fileLength: fileLength,
            replayedEntries: replayed, warnings: warnings)
        return (structure, source)
    }
}
