import BlockIO
import CFuzzer
import FuzzSupport

/// Fuzzes the edit journal's reader: the input is a `<image>.vhdedit-journal` found beside a 64 KiB image.
/// Opening read-only reads through it or ignores it; opening writable replays or discards it. Neither may
/// crash, hang or allocate in proportion to a size field, and the read-only open must not write.
let imageBytes: [UInt8] = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
let identity = FileIdentity(device: 1, inode: 2)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRedoLog(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    let image = MemoryStore(imageBytes, path: "fuzz-image")
    let location = MemoryLogLocation(log: input)
    if let view = try? RecoveredStore(over: image, log: location, identity: identity),
        let length = try? view.length()
    {
        _ = try? view.readExactly(at: 0, count: Int(min(length, 1 << 20)))
    }
    precondition(image.bytes == imageBytes && location.log?.bytes == input, "a read-only open wrote")
    let writable = MemoryStore(imageBytes, path: "fuzz-image", writable: true)
    _ = try? EditJournal(over: writable, log: MemoryLogLocation(log: input), identity: identity)
    return 0
}

@_cdecl("FuzzRedoLog_main")
public func fuzzRedoLogMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(
        argc, argv,
        seeds: {
            // Real sealed logs, written by a commit that stops right after its seal.
            var seeds: [[UInt8]] = []
            for pages in [0, 1, 3] {
                let image = MemoryStore(imageBytes, path: "fuzz-image", writable: true)
                let location = MemoryLogLocation(stopAfterSeal: true)
                guard let journal = try? EditJournal(over: image, log: location, identity: identity, memoryLimit: 8192)
                else { continue }
                for page in 0..<pages {
                    try? journal.write(at: UInt64(page * 5000 + 17), bytes: [1, 2, 3, UInt8(page)])
                }
                try? journal.setLength(UInt64(60_000 - pages))
                try? journal.commit()
                if let log = location.log?.bytes { seeds.append(log) }
            }
            return seeds
        }
    ) { fuzzRedoLog($0, $1) }
}
