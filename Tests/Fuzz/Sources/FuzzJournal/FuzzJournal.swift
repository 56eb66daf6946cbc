import CFuzzer
@_spi(Fuzzing) import Ext4
import FuzzSupport

/// Fuzzes the jbd2 log parser: the input is a journal (block 0 its superblock) of 1 KiB blocks in front of a
/// 4096-block filesystem. Planning its replay may fail with a typed error, never crash, hang or allocate in
/// proportion to a field; every planned copy lies inside the journal's log and the filesystem.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJournal(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    _ = JournalParsing.plan(journal: input, blockSize: 1024, filesystemBlocks: 4096)
    return 0
}

/// A journal of `blocks.count + 1` blocks (no checksums, 32-bit tags) whose log starts at block 1 with
/// transaction 7.
func journal(_ blocks: [[UInt8]], features: UInt32 = 1) -> [UInt8] {
    func be(_ value: UInt32) -> [UInt8] {
        [
            UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value),
        ]
    }
    var superblock =
        be(0xC03B_3998) + be(4) + be(0) + be(1024) + be(UInt32(blocks.count + 1)) + be(1) + be(7)
        + be(1) + be(0) + be(0) + be(features) + be(0)
    superblock += [UInt8](repeating: 0, count: 1024 - superblock.count)
    return blocks.reduce(superblock) { $0 + $1 + [UInt8](repeating: 0, count: 1024 - $1.count) }
}

@_cdecl("FuzzJournal_main")
public func fuzzJournalMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(
        argc, argv,
        seeds: {
            func be(_ value: UInt32) -> [UInt8] {
                [
                    UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
                    UInt8(truncatingIfNeeded: value),
                ]
            }
            let magic = be(0xC03B_3998)
            // Transaction 7: a descriptor with two tags (blocks 300 and 301, the second escaped and last), their
            // copies, a commit; transaction 8: a revoke of 300, a commit.
            let descriptor = magic + be(1) + be(7) + be(300) + be(2) + be(301) + be(2 | 8 | 1)
            let copy = [UInt8](repeating: 0x5A, count: 1024)
            let commit7 = magic + be(2) + be(7)
            let revoke = magic + be(5) + be(8) + be(20) + be(300)
            let commit8 = magic + be(2) + be(8)
            return [
                journal([descriptor, copy, copy, commit7, revoke, commit8]),
                journal([descriptor, copy, copy, commit7]),
                journal([revoke, commit8]),
            ]
        }
    ) { fuzzJournal($0, $1) }
}
