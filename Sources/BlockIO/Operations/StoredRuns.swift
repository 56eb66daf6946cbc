/// A disk whose bytes, in places, lie as they are in a host file, so that a copy can take them from the file
/// directly (``HostFile/copyNonZero(from:at:count:to:sharing:)``) instead of reading them through the device into a
/// buffer.
protocol StoredRuns: BlockDevice {
    /// The store the disk's bytes are kept in.
    var store: any ByteStore { get }

    /// Where the disk's bytes at `offset` (a run of at most `count` of them, `offset` inside the disk) are kept
    /// in ``store``.
    func storedRun(at offset: UInt64, count: Int) throws(BlockIOError) -> StoredRun
}

/// How a run of a disk's bytes is kept in its store.
enum StoredRun: Equatable {
    /// `count` bytes stored one for one at `storeOffset`.
    case stored(storeOffset: UInt64, count: Int)
    /// `count` bytes not stored as they are (zeros not stored, a parent's bytes, sectors only partly
    /// present): read them through the device.
    case elsewhere(count: Int)
}

extension StoredRuns {
    /// The host file behind ``store`` when the store's bytes are exactly the file's (no journal overlays it).
    var storedFile: HostFile? {
        switch store {
        case let file as HostFile: file
        case let recovered as RecoveredStore: recovered.unmodifiedFile
        default: nil
        }
    }
}

extension RawImage: StoredRuns {
    func storedRun(at offset: UInt64, count: Int) -> StoredRun {
        .stored(storeOffset: offset, count: Int(min(UInt64(count), size - min(offset, size))))
    }
}

extension FixedVHD: StoredRuns {
    func storedRun(at offset: UInt64, count: Int) -> StoredRun {
        .stored(storeOffset: offset, count: Int(min(UInt64(count), size - min(offset, size))))
    }
}

extension RecoveredStore {
    /// The file underneath when reads see its bytes unchanged (no sealed journal is read through).
    var unmodifiedFile: HostFile? {
        if case .readThrough = recovery { return nil }
        return base as? HostFile
    }
}
extension DynamicVHD: StoredRuns {}
