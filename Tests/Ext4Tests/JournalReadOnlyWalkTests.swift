import BlockIO
import Ext4
import Foundation
import Synchronization
import Testing
import _TestSupport

/// How much of a log a read-only open reads, counted at the device: a log of small transactions once, on the
/// walk's own thread, and a log of large transactions only a few blocks a transaction (the walk steps over the
/// copies and its windows shrink). Both read as `e2fsck -E journal_only` replays them.
@Suite struct JournalReadOnlyWalkTests {
    /// A device that counts the bytes read inside `watched` (byte ranges), and those of them read by another
    /// thread than the one that made it.
    final class CountingDevice: BlockDevice, @unchecked Sendable {
        let base: any BlockDevice
        let watched: [Range<UInt64>]
        let counted = Mutex<(all: UInt64, otherThread: UInt64)>((0, 0))
        private let owner = pthread_self()

        init(_ base: any BlockDevice, watching watched: [Range<UInt64>]) {
            self.base = base
            self.watched = watched
        }

        var size: UInt64 { base.size }
        var isWritable: Bool { false }

        func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
            let asked = offset..<(offset + UInt64(buffer.count))
            let inside = watched.reduce(UInt64(0)) { sum, range in
                let overlap = asked.clamped(to: range)
                return sum + UInt64(overlap.count)
            }
            let elsewhere = pthread_equal(pthread_self(), owner) == 0
            counted.withLock {
                $0.all += inside
                if elsewhere { $0.otherThread += inside }
            }
            try base.read(at: offset, into: buffer)
        }

        func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
            throw BlockIOError(.readOnly, "counting device", offset: offset)
        }

        func flush() throws(BlockIOError) {}
    }

    /// The journal inode's blocks as byte ranges of the filesystem (`debugfs blocks <8>`, one range a block).
    static func journalRanges(_ fixture: Ext4Fixture, blockSize: Int) throws -> [Range<UInt64>] {
        try fixture.debugfs("blocks <8>").split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap {
            UInt64($0).map { ($0 * UInt64(blockSize))..<(($0 + 1) * UInt64(blockSize)) }
        }
    }

    /// What a read-only open through a ``CountingDevice`` read and showed.
    struct ReadOnlyOpen {
        /// /big as the open reads it, and as `e2fsck -E journal_only` replays it.
        var big: [UInt8]
        var expected: [UInt8]
        /// Bytes of the journal read by the open (before /big is read), and those read by another thread.
        var journalBytesRead: UInt64
        var readAhead: UInt64
        var transactions: Int?
    }

    /// Opens `fixture` read-only through a counting device.
    static func readOnlyOpen(_ fixture: Ext4Fixture, blockSize: Int) throws -> ReadOnlyOpen {
        let reference = fixture.directory.file("e2fsck.img")
        try ExternalTool.check(["cp", "--sparse=always", fixture.image, reference])
        _ = try ExternalTool.run(["e2fsck", "-E", "journal_only", "-y", reference])
        let expected = try JournalCopyCheckTests.dump(reference, "/big", in: fixture.directory)
        let disk = try openDisk(fixture.image, writable: false)
        let device = CountingDevice(disk.device, watching: try Self.journalRanges(fixture, blockSize: blockSize))
        let fs = try Ext4FileSystem(device: device, writable: false)
        let transactions = fs.journalReplay?.transactions
        let read = device.counted.withLock { $0 }
        return ReadOnlyOpen(
            big: try fs.readFile("/big"), expected: expected, journalBytesRead: read.all, readAhead: read.otherThread,
            transactions: transactions)
    }

    /// Six transactions of 120 copies (732 log blocks): the open reads well under a third of the log. With
    /// 4 KiB blocks only: there a window is 64 blocks, a small part of the log; with 1 KiB blocks the first
    /// windows (256 blocks, then 128, 64...) are most of so short a log whatever the walk does.
    @Test(arguments: [FilesystemVariant.all[4]])
    func largeTransactionsAreReadAFewBlocksATransaction(variant: FilesystemVariant) throws {
        let fixture = try JournalCopyCheckTests.journaled(variant, blocks: 300) { homes, blockSize, fixture in
            var script = ""
            for transaction in 0..<6 {
                let copies = try JournalCopyCheckTests.randomFile(
                    "t\(transaction).bin", blocks: 120, blockSize: blockSize, seed: UInt64(transaction),
                    in: fixture.directory)
                let first = transaction * 31 % 180
                let named = homes[first..<(first + 120)].map(String.init).joined(separator: ",")
                script += "jo -c\njw -b \(named) \(copies)\njc\n"
            }
            return script
        }
        let blockSize = try JournalReplayTests.header(fixture.image, "Block size") ?? 1024
        let logBytes = UInt64(6 * 122 * blockSize)
        let result = try Self.readOnlyOpen(fixture, blockSize: blockSize)
        #expect(result.transactions == 6)
        #expect(result.big == result.expected)
        #expect(
            result.journalBytesRead < logBytes / 3,
            "read \(result.journalBytesRead) bytes of a \(logBytes)-byte log")
    }

    /// 150 transactions of one copy each (450 log blocks, the walk reads two thirds): /big reads as e2fsck
    /// replays it, and the log is read once, by the walk's own thread (a read-only walk is not read ahead).
    @Test(arguments: [FilesystemVariant.all[3], FilesystemVariant.all[4]])
    func smallTransactionsAreReadOnceByTheWalk(variant: FilesystemVariant) throws {
        let fixture = try JournalCopyCheckTests.journaled(variant, blocks: 300) { homes, blockSize, fixture in
            var script = ""
            for transaction in 0..<150 {
                let copy = try JournalCopyCheckTests.randomFile(
                    "t\(transaction).bin", blocks: 1, blockSize: blockSize, seed: UInt64(1000 + transaction),
                    in: fixture.directory)
                script += "jo -c\njw -b \(homes[transaction * 2]) \(copy)\njc\n"
            }
            return script
        }
        let blockSize = try JournalReplayTests.header(fixture.image, "Block size") ?? 1024
        let result = try Self.readOnlyOpen(fixture, blockSize: blockSize)
        #expect(result.transactions == 150)
        #expect(result.big == result.expected)
        // Windows of at most 256 KiB from journal block 0 (with the journal superblock) to the commit at
        // journal block 450: each block read once.
        #expect(result.journalBytesRead >= UInt64(451 * blockSize))
        #expect(
            result.journalBytesRead <= UInt64(451 * blockSize + (256 << 10)), "read \(result.journalBytesRead) bytes")
        #expect(result.readAhead == 0, "read on another thread: \(result.readAhead) bytes")
    }
}
