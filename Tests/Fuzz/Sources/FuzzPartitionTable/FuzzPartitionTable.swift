import BlockIO
import CFuzzer
import DiskLayout
import FuzzSupport

/// Fuzzes the MBR (with its EBR chain) and GPT (headers, entry arrays, CRCs) readers: the input is the first
/// bytes of a disk. The first input byte picks how large the disk claims to be beyond the input (so GPT backup
/// headers and partitions past the end are reachable), the rest reads as zeros.
final class ZeroExtendedDevice: BlockDevice {
    let store: MemoryStore
    let size: UInt64
    var isWritable: Bool { false }
    init(_ bytes: [UInt8], size: UInt64) {
        store = MemoryStore(bytes)
        self.size = size
    }
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count)
        let got = try store.read(at: offset, into: buffer)
        UnsafeMutableRawBufferPointer(rebasing: buffer[got...]).initializeMemory(as: UInt8.self, repeating: 0)
    }
    func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        throw BlockIOError(.readOnly, "read-only")
    }
    func flush() throws(BlockIOError) {}
}

@_cdecl("LLVMFuzzerTestOneInput")  // libFuzzer's own main references it; the driver gets it from `_main`
public func fuzzPartitionTable(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let disk = Array(input.dropFirst())
    let sizes: [UInt64] = [UInt64(disk.count), 1 << 20, 64 << 20, 2 << 40, UInt64(disk.count) + 512]
    let device = ZeroExtendedDevice(disk, size: sizes[Int(selector) % sizes.count])
    if let table = try? PartitionTable.read(from: device) {
        for partition in table.partitions {
            _ = try? SliceDevice(base: device, start: partition.start, size: partition.size)
        }
        _ = table.warnings.map(\.message)
    }
    return 0
}

@_cdecl("FuzzPartitionTable_main")
public func fuzzPartitionTableMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { fuzzPartitionTable($0, $1) }
}
