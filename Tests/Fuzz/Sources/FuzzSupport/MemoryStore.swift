public import BlockIO
internal import CFuzzer

/// A ``ByteStore`` held in memory: fuzz inputs become image files without touching the disk.
public final class MemoryStore: ByteStore {
    public var bytes: [UInt8]
    public let path: String
    public let isWritable: Bool

    public init(_ bytes: [UInt8], path: String = "fuzz-input", writable: Bool = false) {
        self.bytes = bytes
        self.path = path
        self.isWritable = writable
    }

    public func length() throws(BlockIOError) -> UInt64 { UInt64(bytes.count) }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) -> Int {
        guard offset < UInt64(bytes.count) else { return 0 }
        let count = min(buffer.count, bytes.count - Int(offset))
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + Int(offset), byteCount: count) }
        return count
    }

    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        guard isWritable else { throw BlockIOError(.readOnly, "read-only", path: path) }
        guard offset <= 1 << 26, buffer.count <= 1 << 26 else {
            throw BlockIOError(.outOfBounds, "write past 64 MiB in a fuzz store", path: path, offset: offset)
        }
        let end = Int(offset) + buffer.count
        if bytes.count < end { grow(to: end) }
        guard buffer.count > 0 else { return }
        bytes.withUnsafeMutableBytes {
            $0.baseAddress!.advanced(by: Int(offset)).copyMemory(from: buffer.baseAddress!, byteCount: buffer.count)
        }
    }

    /// Appends zeros up to `length` bytes with `memset`: targets are built without optimisation, where filling or
    /// replacing an array's bytes one by one cost more than the parsers (a VHD block allocation grows the
    /// file by megabytes).
    private func grow(to length: Int) {
        let old = bytes.count
        bytes = [UInt8](unsafeUninitializedCapacity: length) { target, initialized in
            bytes.withUnsafeBytes {
                UnsafeMutableRawBufferPointer(target).baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: old)
            }
            memset(target.baseAddress! + old, 0, length - old)
            initialized = length
        }
    }

    public func setLength(_ length: UInt64) throws(BlockIOError) {
        guard isWritable else { throw BlockIOError(.readOnly, "read-only", path: path) }
        guard length <= 1 << 26 else { throw BlockIOError(.outOfBounds, "too long for a fuzz store", path: path) }
        if bytes.count > Int(length) { bytes.removeSubrange(Int(length)...) } else { grow(to: Int(length)) }
    }

    public func sync() throws(BlockIOError) {}
}

/// A redo-log location in memory: the log is `log` (nil when there is none).
public final class MemoryLogLocation: RedoLogLocation {
    public var log: MemoryStore?
    /// Fail the first folder fsync: a commit then stops right after its seal, leaving a sealed log.
    public var stopAfterSeal: Bool
    public var path: String { "fuzz-input.vhdedit-journal" }

    public init(log: [UInt8]? = nil, stopAfterSeal: Bool = false) {
        self.log = log.map { MemoryStore($0, path: "fuzz-input.vhdedit-journal") }
        self.stopAfterSeal = stopAfterSeal
    }

    public func openExisting() throws(BlockIOError) -> (any ByteStore)? { log }
    public func create() throws(BlockIOError) -> any ByteStore {
        let store = MemoryStore([], path: path, writable: true)
        log = store
        return store
    }
    public func remove() throws(BlockIOError) { log = nil }
    public func syncFolder() throws(BlockIOError) {
        if stopAfterSeal { throw BlockIOError(.io, "stopped after the seal") }
    }
}

/// The bytes of libFuzzer's input.
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Seeds written by a target when `VHDEDIT_FUZZ_SEEDS=<folder>` is set (see scripts/fuzz.sh).
public func writeSeedsIfAsked(_ seeds: () -> [[UInt8]]) {
    guard let folder = getenv("VHDEDIT_FUZZ_SEEDS").map({ String(cString: $0) }) else { return }
    for (index, seed) in seeds().enumerated() {
        let path = "\(folder)/seed-\(index)"
        guard let file = fopen(path, "wb") else { continue }
        _ = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
    }
    exit(0)
}

/// Runs libFuzzer's driver with `callback` as the target (call it from the executable's `<Module>_main`).
/// With `VHDEDIT_FUZZ_SEEDS` set, writes `seeds` there and exits instead.
public func runFuzzer(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
    seeds: () -> [[UInt8]] = { [] },
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32 {
    writeSeedsIfAsked(seeds)
    var count = argc
    var vector: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&count, &vector, callback)
}

#if canImport(Glibc)
    import Glibc
#endif
