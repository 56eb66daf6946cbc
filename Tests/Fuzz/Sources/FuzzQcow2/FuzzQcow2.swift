import BlockIO
import CFuzzer
import FuzzSupport

/// Fuzzes the qcow2 header, header extension, L1 and L2 parsers and the cluster decoder (zlib, zstd): the
/// input is a whole qcow2 file, kept in memory. The backing file offset is cleared first, so that the target
/// never looks for a host file. The image is opened, read at a few places and walked (data ranges, known
/// zeros); every failure must be a typed error, never a crash, a hang or unbounded memory.
@_cdecl("LLVMFuzzerTestOneInput")  // libFuzzer's own main references it; the driver gets it from `_main`
public func fuzzQcow2(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = fuzzInput(data, size)
    if input.count >= 16 { for index in 8..<16 { input[index] = 0 } }  // no backing file
    let store = MemoryStore(input)
    guard (try? ImageFormatDetector.detect(store)) == .qcow2, let image = try? Qcow2Image.open(store: store) else {
        return 0
    }
    _ = image.warnings
    let device: any BlockDevice = image
    for offset in [0, device.size / 2, device.size &- 70_000] where offset < device.size {
        _ = try? device.read(at: offset, count: Int(min(70_000, device.size - offset)))
        _ = try? device.isKnownZero(offset..<min(offset + 1 << 20, device.size))
    }
    if let ranges = try? image.dataRanges() {
        for range in ranges.prefix(8) { _ = try? device.read(at: range.lowerBound, count: Int(min(4096, range.count))) }
    }
    return 0
}

@_cdecl("FuzzQcow2_main")
public func fuzzQcow2Main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { fuzzQcow2($0, $1) }
}
