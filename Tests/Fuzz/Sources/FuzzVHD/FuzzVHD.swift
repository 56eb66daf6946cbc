import BlockIO
import CFuzzer
import FuzzSupport

/// Fuzzes the VHD footer, dynamic header, BAT and sector bitmap parsers: the input is a whole VHD file.
/// Fixed and dynamic disks are opened and read at a few places, and a dynamic one is written to (block
/// allocation over a hostile BAT); differencing disks are parsed only (their parents would be host files).
@_cdecl("LLVMFuzzerTestOneInput")  // libFuzzer's own main references it; the driver gets it from `_main`
public func fuzzVHD(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    let store = MemoryStore(input)
    guard (try? VHDFileStructure.isVHD(store)) == true,
        let structure = try? VHDFileStructure(reading: store)
    else { return 0 }
    _ = structure.warnings
    guard structure.footer.type != .differencing, let image = try? VHDImage.open(store: store) else { return 0 }
    let device = image.device
    for offset in [0, device.size / 2, device.size &- 4096] where offset < device.size {
        _ = try? device.read(at: offset, count: Int(min(4096, device.size - offset)))
    }
    // Writes allocate blocks at the end and move the footer: over a copy, bounded at 64 MiB.
    let writable = MemoryStore(input, writable: true)
    if let image = try? VHDImage.open(store: writable), image.device.isWritable, image.device.size > 4096 {
        _ = try? image.device.write(at: image.device.size / 3, bytes: [UInt8](repeating: 0x5A, count: 1000))
        try? image.device.flush()
        _ = try? VHDFileStructure(reading: writable)
    }
    return 0
}

@_cdecl("FuzzVHD_main")
public func fuzzVHDMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { fuzzVHD($0, $1) }
}
