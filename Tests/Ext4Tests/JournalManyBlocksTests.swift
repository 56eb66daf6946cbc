import Ext4
import Foundation
import Testing
import _TestSupport

/// A log naming a hundred blocks several times over — rewritten in later transactions in descending order,
/// revoked, rewritten after the revoke, one escaped copy past the first 64 — replays to the bytes
/// `e2fsck -E journal_only` makes of the same image (the replay plan is a sorted table of home blocks: this is
/// where its grouping, its revoke lookups and its escape bits show).
@Suite struct JournalManyBlocksTests {
    @Test(arguments: [FilesystemVariant.all[3], FilesystemVariant.all[4]])
    func rewrittenAndRevokedBlocksReplayAsE2fsck(variant: FilesystemVariant) throws {
        let fixture = try Ext4Fixture(variant)
        let blockSize = try JournalReplayTests.header(fixture.image, "Block size") ?? 1024
        let first = blockSize == 1024 ? 12000 : 3000  // free blocks of a 16 MiB filesystem
        var generator = SeededGenerator(seed: 13)
        func file(_ name: String, blocks: Int, magic: Bool = false) throws -> String {
            let path = fixture.directory.file(name)
            var bytes = (0..<(blocks * blockSize)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if magic { bytes.replaceSubrange(0..<4, with: [0xC0, 0x3B, 0x39, 0x98]) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let hundred = try file("hundred.bin", blocks: 100)
        let ten = try file("ten.bin", blocks: 10)
        let one = try file("one.bin", blocks: 1)
        let two = try file("two.bin", blocks: 2)
        let magic = try file("magic.bin", blocks: 1, magic: true)
        func blocks(_ offsets: some Sequence<Int>) -> String { offsets.map { "\(first + $0)" }.joined(separator: ",") }
        let script = """
            jo -c
            jw -b \(blocks(0..<100)) \(hundred)
            jc
            jo -c
            jw -r \(blocks(10..<20)) /dev/null
            jw -b \(blocks((50..<60).reversed())) \(ten)
            jc
            jo -c
            jw -b \(blocks([15])) \(one)
            jw -b \(blocks([99, 0])) \(two)
            jw -b \(blocks([90])) \(magic)
            jc

            """
        let commands = fixture.directory.file("journal.cmds")
        try script.write(toFile: commands, atomically: true, encoding: .utf8)
        try ExternalTool.check(["debugfs", "-w", "-f", commands, fixture.image])
        #expect(try ExternalTool.check(["dumpe2fs", "-h", fixture.image]).output.contains("needs_recovery"))
        let summary = try #require(try JournalReplayTests.expectSameReplayAsE2fsck(fixture))
        // debugfs commits each `jw` as a transaction of its own: six. Blocks 10...19 revoked in the second, 15
        // written again after it: 91 distinct blocks.
        #expect(summary.transactions == 6 && summary.blocks == 91 && summary.revokedCopies == 10, "\(summary)")
    }
}
