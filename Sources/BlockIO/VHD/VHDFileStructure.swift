/// The metadata of a VHD file as found on disk: which footer was used, the state of each footer copy, the
/// dynamic header and BAT, and what looked wrong but could be worked around.
///
/// Every size field is checked against the file's length before anything is read or allocated in proportion
/// to it, so a hostile image costs at most memory proportional to its own file size.
public struct VHDFileStructure: Sendable {
    /// The state of one footer copy.
    public enum FooterState: String, Sendable, Codable {
        /// Present with a valid checksum (and, for the copy, identical to the footer used).
        case valid
        /// No `conectix` cookie where the footer belongs.
        case missing
        /// The cookie is there but the checksum does not match.
        case badChecksum = "bad-checksum"
        /// A valid footer, but different from the one used.
        case differs
        /// The disk type has no footer copy (fixed disks).
        case notApplicable = "not-applicable"
    }

    /// Where the footer in use came from.
    public enum FooterSource: String, Sendable, Codable {
        /// The last 512 bytes of the file.
        case trailing
        /// The last 511 bytes (old Virtual PC fixed disks).
        case trailing511 = "trailing-511"
        /// The copy at offset 0 (dynamic and differencing only).
        case copy
    }

    /// The VHD file.
    public let path: String
    /// The file's length when opened.
    public let fileLength: UInt64
    /// The footer in use.
    public let footer: VHDFooter
    /// Where the footer in use was read.
    public let footerSource: FooterSource
    /// Where the trailing footer sits, when it is valid.
    public let trailingFooterOffset: UInt64?
    /// The state of the footer at the end of the file.
    public let trailingFooterState: FooterState
    /// The state of the footer copy at offset 0 (``FooterState/notApplicable`` for fixed disks).
    public let footerCopyState: FooterState
    /// Dynamic and differencing disks only.
    public let header: DynamicHeader?
    /// Dynamic and differencing disks only.
    public let table: BlockAllocationTable?
    /// The locator payloads of a differencing disk, decoded (platform, path); unreadable ones are skipped
    /// with a warning.
    public let parentLocatorPaths: [(platform: ParentLocator.Platform, path: String)]
    /// Where the next block would be allocated (dynamic and differencing).
    public let freeOffset: UInt64
    /// Things that are wrong but do not stop reading.
    public let warnings: [String]

    /// Whether `store` holds a VHD: `conectix` in the last 512 (or 511) bytes or at offset 0.
    public static func isVHD(_ store: any ByteStore) throws(BlockIOError) -> Bool {
        let length = try store.length()
        guard length >= 511 else { return false }
        let offsets: [UInt64] = length >= 512 ? [0, length - 512, length - 511] : [length - 511]
        for offset in offsets {
            var cookie = [UInt8](repeating: 0, count: 8)
            let got = try cookie.withMutableBytes { (raw) throws(BlockIOError) in try store.read(at: offset, into: raw)
            }
            if got == 8 && cookie == VHDFooter.cookieValue { return true }
        }
        return false
    }

    /// Reads and checks the metadata of the VHD in `store`.
    ///
    /// - Throws: ``BlockIOError`` naming the file, structure, field and offset: no usable footer (bad cookie,
    ///   checksum mismatch with both values), unsupported version or type, a size larger than 2040 GiB or than
    ///   the file, a header or BAT outside the file, BAT entries past the end or overlapping metadata or each
    ///   other.
    public init(reading store: any ByteStore) throws(BlockIOError) {
        let path = store.path
        let length = try store.length()
        fileLength = length
        self.path = path
        var warnings: [String] = []
        guard length >= 511 else {
            throw BlockIOError(
                .truncated, "file of \(length) bytes is too small for a VHD footer", path: path, offset: 0,
                structure: "VHD footer")
        }

        // The trailing footer (512 bytes, or 511 on old fixed disks) and the copy at offset 0.
        var trailing: (footer: VHDFooter, offset: UInt64, source: FooterSource)?
        if length >= 512 {
            let candidate = VHDFooter(
                parsing: try store.readExactly(at: length - 512, count: 512, structure: "VHD footer"))
            if candidate.hasCookie { trailing = (candidate, length - 512, .trailing) }
        }
        if trailing == nil {
            let bytes = try store.readExactly(at: length - 511, count: 511, structure: "VHD footer") + [0]
            let candidate = VHDFooter(parsing: bytes)
            if candidate.hasCookie { trailing = (candidate, length - 511, .trailing511) }
        }
        var copy: VHDFooter?
        if length >= 1024 || (length >= 512 && trailing == nil) {
            let candidate = VHDFooter(parsing: try store.readExactly(at: 0, count: 512, structure: "VHD footer copy"))
            if candidate.hasCookie, trailing?.offset != 0 { copy = candidate }
        }

        let chosen: (footer: VHDFooter, source: FooterSource, offset: UInt64)
        if let trailing, trailing.footer.checksumIsValid {
            chosen = (trailing.footer, trailing.source, trailing.offset)
            trailingFooterState = .valid
            trailingFooterOffset = trailing.offset
            if trailing.source == .trailing511 {
                warnings.append("the footer is 511 bytes long (an old Virtual PC file)")
            }
        } else if let copy, copy.checksumIsValid, copy.type == .dynamic || copy.type == .differencing {
            chosen = (copy, .copy, 0)
            trailingFooterOffset = nil
            if let trailing {
                trailingFooterState = .badChecksum
                warnings.append(
                    "the footer at byte \(trailing.offset) has a bad checksum (stored "
                        + "\(VHDChecksum.hex(trailing.footer.checksum)), computed "
                        + "\(VHDChecksum.hex(trailing.footer.computedChecksum))); using the copy at offset 0")
            } else {
                trailingFooterState = .missing
                warnings.append("the footer at the end of the file is missing; using the copy at offset 0")
            }
        } else if let trailing {
            try trailing.footer.validate(path: path, offset: trailing.offset)  // throws the checksum mismatch
            throw BlockIOError(.badCookie, "no usable VHD footer", path: path, offset: trailing.offset)
        } else if let copy {
            try copy.validate(path: path, offset: 0)
            throw BlockIOError(
                .badCookie,
                "the footer at the end of the file is missing and the copy at offset 0 is a "
                    + "\(copy.type == .fixed ? "fixed" : "non-dynamic") disk footer", path: path, offset: length - 512,
                structure: "VHD footer", field: "cookie")
        } else {
            throw BlockIOError(
                .badCookie, "no \"conectix\" cookie at the end of the file or at offset 0", path: path,
                offset: length - 512, structure: "VHD footer", field: "cookie")
        }
        let footer = chosen.footer
        try footer.validate(path: path, offset: chosen.offset)
        self.footer = footer
        footerSource = chosen.source

        guard footer.type != .fixed else {
            footerCopyState = .notApplicable
            header = nil
            table = nil
            parentLocatorPaths = []
            guard chosen.offset >= footer.currentSize else {
                throw BlockIOError(
                    .truncated,
                    "fixed disk of \(footer.currentSize) bytes needs a file of \(footer.currentSize + 512) bytes, found \(length)",
                    path: path, offset: chosen.offset + 48, structure: "VHD footer", field: "current_size")
            }
            if chosen.offset > footer.currentSize {
                warnings.append(
                    "\(chosen.offset - footer.currentSize) bytes between the disk data and the footer are ignored")
            }
            freeOffset = chosen.offset
            self.warnings = warnings
            return
        }

        // Footer copy state (dynamic/differencing).
        if chosen.source == .copy {
            footerCopyState = .valid
        } else if let copy {
            if !copy.checksumIsValid {
                footerCopyState = .badChecksum
                warnings.append(
                    "the footer copy at offset 0 has a bad checksum (stored \(VHDChecksum.hex(copy.checksum)), "
                        + "computed \(VHDChecksum.hex(copy.computedChecksum)))")
            } else if copy != footer {
                footerCopyState = .differs
                warnings.append("the footer copy at offset 0 differs from the footer at the end of the file")
            } else {
                footerCopyState = .valid
            }
        } else {
            footerCopyState = .missing
            warnings.append("the footer copy at offset 0 is missing")
        }

        // Everything below must fit before the trailing footer (or the end of the file when it is missing).
        let dataEnd = trailingFooterOffset ?? length
        let headerOffset = footer.dataOffset
        guard headerOffset >= 512, headerOffset <= dataEnd, dataEnd - headerOffset >= UInt64(DynamicHeader.size) else {
            throw BlockIOError(
                .invalidField,
                "dynamic header offset \(headerOffset) is not inside the file (header needs 1024 bytes before \(dataEnd))",
                path: path, offset: chosen.offset + 16, structure: "VHD footer", field: "data_offset")
        }
        let header = DynamicHeader(
            parsing: try store.readExactly(
                at: headerOffset, count: DynamicHeader.size, structure: "dynamic disk header"))
        try header.validate(path: path, offset: headerOffset)
        self.header = header

        let blockSize = UInt64(header.blockSize)
        let needed = (footer.currentSize + blockSize - 1) / blockSize
        guard UInt64(header.maxTableEntries) >= needed else {
            throw BlockIOError(
                .invalidField,
                "\(header.maxTableEntries) entries cannot map \(footer.currentSize) bytes in \(blockSize)-byte blocks (need \(needed))",
                path: path, offset: headerOffset + 28, structure: "dynamic disk header", field: "max_table_entries")
        }
        let tableOffset = header.tableOffset
        let tableBytes = UInt64(header.maxTableEntries) * 4
        guard tableOffset <= dataEnd, dataEnd - tableOffset >= tableBytes else {
            throw BlockIOError(
                .invalidField,
                "BAT of \(header.maxTableEntries) entries at byte \(tableOffset) ends past the end of the data area (\(dataEnd))",
                path: path, offset: headerOffset + 16, structure: "dynamic disk header", field: "table_offset")
        }
        let tableRange = tableOffset..<(tableOffset + tableBytes)
        let headerRange = headerOffset..<(headerOffset + 1024)
        guard !tableRange.overlaps(0..<512), !tableRange.overlaps(headerRange) else {
            throw BlockIOError(
                .overlap, "BAT at byte \(tableOffset) overlaps the footer copy or the dynamic header", path: path,
                offset: headerOffset + 16, structure: "dynamic disk header", field: "table_offset")
        }
        guard !headerRange.overlaps(0..<512) else {
            throw BlockIOError(
                .overlap, "dynamic header at byte \(headerOffset) overlaps the footer copy", path: path,
                offset: chosen.offset + 16, structure: "VHD footer", field: "data_offset")
        }
        let table = try BlockAllocationTable(reading: store, at: tableOffset, count: Int(header.maxTableEntries))

        // Locator data areas (differencing): bounded, decoded, kept out of the blocks' way.
        var metadata: [FileRegion] = [
            FileRegion(name: "footer copy", range: 0..<512), FileRegion(name: "dynamic header", range: headerRange),
            FileRegion(
                name: "BAT",
                range:
                    tableOffset..<(tableOffset
                    + UInt64(BlockAllocationTable.byteCount(entries: Int(header.maxTableEntries))))
            ),
        ]
        var locatorPaths: [(platform: ParentLocator.Platform, path: String)] = []
        if footer.type == .differencing {
            for (index, locator) in header.parentLocators.enumerated() where locator.isUsed {
                let locatorName =
                    "parent locator \(index) (\(locator.platform?.name ?? VHDChecksum.hex(locator.platformCodeValue)))"
                guard let platform = locator.platform else {
                    warnings.append("\(locatorName): unknown platform code, ignored")
                    continue
                }
                let start = locator.platformDataOffset
                let count = UInt64(locator.platformDataLength)
                guard locator.reservedBytes != nil, count <= 65536, start <= dataEnd, dataEnd - start >= count else {
                    warnings.append(
                        "\(locatorName): data of \(count) bytes at byte \(start) (space \(locator.platformDataSpace)) is not inside the file, ignored"
                    )
                    continue
                }
                let reserved = max(locator.reservedBytes ?? 0, count)
                metadata.append(FileRegion(name: "\(locatorName) data", range: start..<min(start + reserved, dataEnd)))
                let payload = try store.readExactly(at: start, count: Int(count), structure: "\(locatorName) data")
                if let decoded = locator.decodePath(payload), !decoded.isEmpty {
                    locatorPaths.append((platform, decoded))
                }
            }
        }
        parentLocatorPaths = locatorPaths

        let blockSpan = header.bitmapSize + blockSize
        var blockForbidden = metadata
        if let trailingFooterOffset {
            blockForbidden.append(
                FileRegion(name: "footer", range: trailingFooterOffset..<(trailingFooterOffset + 512)))
        }
        let allocated = table.allocatedIndices()
        try table.validate(
            path: path, tableOffset: tableOffset, blockSpan: blockSpan, dataEnd: dataEnd, metadata: blockForbidden,
            allocated: allocated)
        self.table = table

        var free = metadata.map(\.range.upperBound).max() ?? 0
        for index in allocated {
            free = max(free, UInt64(table.entries[index]) * 512 + blockSpan)
        }
        free = max(free, trailingFooterOffset ?? (length + 511) / 512 * 512)
        freeOffset = (free + 511) / 512 * 512
        self.warnings = warnings
    }
}
