extension DiskImage {
    /// The largest disk vhdedit resizes a raw image to: the edit journal's limit (16 TiB).
    public static let maximumRawResize: UInt64 = RedoLog.maximumImageLength

    /// Changes the size of the disk in place, under the image's edit journal: nothing reaches the file before
    /// ``commit()``, and ``abandon()`` leaves it as it was.
    ///
    /// - Raw: the file is cut or extended (a hole: the file stays sparse).
    /// - Fixed VHD: the footer moves to the new end; the bytes where it was become zeros of the disk.
    /// - Dynamic VHD: the BAT grows in place (or shrinks); where the space after it is too small, the blocks in
    ///   the way are copied to the end of the file and their entries changed. Entries past the new size are
    ///   dropped, and bytes of the old last block past the old size are zeroed, so growth always reads as zeros.
    ///
    /// Both footers (and, for a dynamic VHD, the header) are rewritten with `current_size == original_size ==
    /// newSize`, the geometry ``DiskGeometry/written(forSize:)`` gives and valid checksums, as ``ImageCreator``
    /// and ``ImageConverter`` write them, so qemu-img, libvhdi and Hyper-V read the same size. ``device`` and
    /// ``vhd`` are replaced by the resized disk, read back from the journal.
    ///
    /// The caller checks that nothing the disk holds is cut (DiskLayout's business); this only moves bytes of
    /// the container.
    ///
    /// - Parameter newSize: the new virtual size in bytes, a multiple of 512.
    /// - Throws: ``BlockIOError``: `readOnly` for an image opened read-only, `unsupported` for a differencing
    ///   disk or any other format, `invalidArgument` for a size that is zero or not a whole sector, `tooLarge` past 2040 GiB (VHD) or
    ///   16 TiB (raw), or an I/O error; the image is unchanged (nothing is committed).
    public func resizeDisk(to newSize: UInt64) throws(BlockIOError) {
        guard store is EditJournal, store.isWritable else {
            throw BlockIOError(.readOnly, "the image is open read-only; resizing needs a writable open", path: path)
        }
        guard newSize > 0, newSize % 512 == 0 else {
            throw BlockIOError(
                .invalidArgument, "the new size \(newSize) is not a positive multiple of 512 bytes", path: path)
        }
        if format == .raw {
            guard newSize <= Self.maximumRawResize else {
                throw BlockIOError(
                    .tooLarge,
                    "a raw image can be resized up to \(Self.maximumRawResize) bytes (16 TiB); \(newSize) requested",
                    path: path)
            }
            try store.setLength(newSize)
            device = try RawImage(store: store)
        } else if format == .vhdFixed || format == .vhdDynamic {
            guard newSize <= VHDFooter.maximumSize else {
                throw BlockIOError(
                    .tooLarge,
                    "a VHD holds at most \(VHDFooter.maximumSize) bytes (2040 GiB, what qemu and libvhdi read); \(newSize) requested",
                    path: path)
            }
            guard let vhd else { throw BlockIOError(.invalidArgument, "not a VHD", path: path) }
            if format == .vhdFixed {
                try FixedVHDResize.resize(store: store, structure: vhd.structure, to: newSize)
            } else {
                try DynamicVHDResize.resize(store: store, structure: vhd.structure, to: newSize)
            }
            let reopened = try VHDImage.open(store: store)
            self.vhd = reopened
            device = reopened.device
        } else if format == .vhdDifferencing {
            throw BlockIOError(
                .unsupported,
                "a differencing disk cannot be resized (its size is its parent's); flatten it first with "
                    + "'vhdedit convert CHILD OUT --to fixed' or resize the parent and make a new child",
                path: path)
        } else {
            throw BlockIOError(
                .unsupported,
                "vhdedit resizes raw, fixed VHD and dynamic VHD images; this is a \(format.rawValue) image (convert it "
                    + "first, e.g. 'vhdedit convert IMAGE OUT.vhd --to fixed --size SIZE')", path: path)
        }
    }
}

/// The footer a resized VHD gets: the old one's identity (unique id, creator, timestamp, type) with the new
/// size in `current_size` and `original_size`, the geometry vhdedit writes and a valid checksum.
enum ResizedFooter {
    static func make(from old: VHDFooter, size: UInt64) -> VHDFooter {
        var footer = old
        footer.currentSize = size
        footer.originalSize = size
        footer.geometry = DiskGeometry.written(forSize: size)
        footer.savedState = 0
        return footer.withValidChecksum()
    }
}

/// Resizing a fixed VHD: the data area is cut or extended (a hole), the footer written at the new end.
enum FixedVHDResize {
    static func resize(store: any ByteStore, structure: VHDFileStructure, to newSize: UInt64) throws(BlockIOError) {
        let oldSize = structure.footer.currentSize
        let fileLength = try store.length()
        if newSize > oldSize {
            // The old footer (and any bytes between the data and it) become part of the disk: zeros.
            let end = min(newSize, fileLength)
            if end > oldSize {
                try store.write(at: oldSize, bytes: [UInt8](repeating: 0, count: Int(end - oldSize)))
            }
        }
        try store.setLength(newSize)
        try store.setLength(newSize + 512)
        try store.write(at: newSize, bytes: ResizedFooter.make(from: structure.footer, size: newSize).serialized())
    }
}
