import BlockIO
import Testing
import _TestSupport

/// One step of an edit session, replayed on the journal and on a plain byte-array model.
enum Edit: CustomStringConvertible {
    case write(UInt64, [UInt8])
    case setLength(UInt64)
    case flush

    var description: String {
        switch self {
        case .write(let offset, let bytes): "write(\(offset), \(bytes.count) bytes)"
        case .setLength(let length): "setLength(\(length))"
        case .flush: "flush"
        }
    }

    func apply(to model: inout [UInt8]) {
        switch self {
        case .write(let offset, let bytes): SimulatedFile.apply(.write(offset, bytes), to: &model)
        case .setLength(let length): SimulatedFile.apply(.length(length), to: &model)
        case .flush: break
        }
    }

    func apply(to store: any ByteStore) throws(BlockIOError) {
        switch self {
        case .write(let offset, let bytes): try store.write(at: offset, bytes: bytes)
        case .setLength(let length): try store.setLength(length)
        case .flush: try store.sync()
        }
    }

    /// A random session over an image of `length` bytes: writes inside, across and past the end, cuts, growths
    /// and flushes.
    static func randomScript(length: Int, steps: Int, random: inout SeededGenerator) -> [Edit] {
        var current = length
        var script: [Edit] = []
        for _ in 0..<steps {
            switch Int.random(in: 0..<10, using: &random) {
            case 0:
                let target = Int.random(in: 0..<(current + 6000), using: &random)
                script.append(.setLength(UInt64(target)))
                current = target
            case 1:
                script.append(.flush)
            default:
                let offset = Int.random(in: 0..<(current + 9000), using: &random)
                let count = Int.random(in: 1..<10_000, using: &random)
                let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
                script.append(.write(UInt64(offset), bytes))
                current = max(current, offset + count)
            }
        }
        return script
    }
}

func randomBytes(_ count: Int, _ random: inout SeededGenerator) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
}

/// Every byte of `store`, read in uneven chunks so page boundaries are crossed.
func contents(of store: any ByteStore) throws -> [UInt8] {
    let length = Int(try store.length())
    var result: [UInt8] = []
    var offset = 0
    var chunk = 1000
    while offset < length {
        let count = min(chunk, length - offset)
        result += try store.readExactly(at: UInt64(offset), count: count)
        offset += count
        chunk = chunk * 3 % 17_000 + 1
    }
    // Reading past the end gives nothing.
    var tail = [UInt8](repeating: 0, count: 16)
    let got = try tail.withMutableBytes { (raw) throws(BlockIOError) in try store.read(at: UInt64(length), into: raw) }
    #expect(got == 0)
    return result
}

@Suite struct EditJournalTests {
    let smallMemory = 3 * 4096  // three pages: every session below spills into its log

    @Test func crc32cMatchesTheCastagnoliCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)  // RFC 3720 B.4
        // Eight bytes a step agrees with a bit at a time, at every length, start and split.
        func bitwise(_ bytes: ArraySlice<UInt8>, _ previous: UInt32) -> UInt32 {
            var crc = ~previous
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return ~crc
        }
        var random = SeededGenerator(seed: 8)
        let bytes = (0..<100).map { _ in UInt8.random(in: 0...255, using: &random) }
        for start in 0..<9 {
            for end in start...bytes.count {
                #expect(
                    CRC32C.checksum(bytes[start..<end], continuing: 0x1234_5678)
                        == bitwise(bytes[start..<end], 0x1234_5678))
            }
        }
        // Long buffers take the three-stream path (4,080 bytes a round) and the tables' path alike.
        let long = (0..<13_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        for start in [0, 1, 5] {
            for end in [4_079, 4_080 + start, 4_081 + start, 4_096, 8_160 + start, 12_240 + start, 12_999] {
                let expected = ~bitwise(long[start..<end], 0x89AB_CDEF)
                #expect(CRC32C.update(~0x89AB_CDEF, long[start..<end]) == expected, "\(start)..<\(end)")
                #expect(CRC32C.portableUpdate(~0x89AB_CDEF, long[start..<end]) == expected, "\(start)..<\(end)")
            }
        }
    }

    @Test(arguments: [1, 3, 64, 100_000])
    func readsSeeTheSessionsOwnWritesAndCommitMakesThemReal(pages: Int) throws {
        var random = SeededGenerator(seed: UInt64(pages))
        let old = randomBytes(50_001, &random)
        let folder = SimulatedFolder(image: old)
        let journal = try EditJournal(
            over: folder.imageStore(writable: true), log: folder, identity: SimulatedFolder.identity,
            memoryLimit: pages * 4096)
        #expect(journal.recovery == .none)
        var model = old
        for edit in Edit.randomScript(length: old.count, steps: 40, random: &random) {
            try edit.apply(to: journal)
            edit.apply(to: &model)
            #expect(try journal.length() == UInt64(model.count))
            #expect(folder.imageBytes == old, "nothing reaches the image before commit (\(edit))")
        }
        #expect(try contents(of: journal) == model)
        if pages <= 3 { #expect(folder.hasLog, "a session over its memory limit spills into its log") }
        if pages == 100_000 { #expect(!folder.hasLog, "a session within its memory limit writes no log yet") }
        try journal.commit()
        #expect(folder.imageBytes == model)
        #expect(!folder.hasLog)
        // The session goes on over the committed image.
        try journal.write(at: 10, bytes: [1, 2, 3])
        model.replaceSubrange(10..<13, with: [1, 2, 3])
        try journal.commit()
        #expect(folder.imageBytes == model)
    }

    @Test func abandonAndReleaseLeaveTheImageAndNoLog() throws {
        var random = SeededGenerator(seed: 9)
        let old = randomBytes(40_000, &random)
        let folder = SimulatedFolder(image: old)
        do {
            let journal = try EditJournal(
                over: folder.imageStore(writable: true), log: folder, identity: SimulatedFolder.identity,
                memoryLimit: smallMemory)
            for edit in Edit.randomScript(length: old.count, steps: 20, random: &random) { try edit.apply(to: journal) }
            #expect(folder.hasLog)
            journal.abandon()
            #expect(throws: BlockIOError.self) { try journal.write(at: 0, bytes: [1]) }
        }
        #expect(folder.imageBytes == old)
        #expect(!folder.hasLog)
        do {
            let journal = try EditJournal(
                over: folder.imageStore(writable: true), log: folder, identity: SimulatedFolder.identity,
                memoryLimit: smallMemory)
            for edit in Edit.randomScript(length: old.count, steps: 20, random: &random) { try edit.apply(to: journal) }
        }
        #expect(folder.imageBytes == old, "a session released without commit changes nothing")
        #expect(!folder.hasLog)
    }

    /// The heart of the guarantee: stop the machine at every mutating operation #k of a session (process kill,
    /// power loss keeping a random subset of unsynced writes, or a single failed write the session survives)
    /// and reopen: the image is exactly the old one or the new one, read-only and writable opens agree, the
    /// read-only open changes nothing, and once `commit()` returned it is the new one.
    @Test(arguments: [11, 12, 13])
    func everyCrashPointYieldsTheOldOrTheNewImage(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let old = randomBytes(30_000 + Int(seed) * 77, &random)
        let script = Edit.randomScript(length: old.count, steps: 14, random: &random)
        var new = old
        for edit in script { edit.apply(to: &new) }
        #expect(new != old)

        // A clean run counts the operations.
        let clean = SimulatedFolder(image: old)
        let total = try runSession(script, in: clean, memoryLimit: smallMemory)
        #expect(total.committed)
        #expect(clean.imageBytes == new)
        #expect(total.operations > 20)

        var outcomes = (old: 0, new: 0)
        for k in 0...total.operations {
            for mode in 0..<3 {
                let folder = SimulatedFolder(image: old, plan: FaultPlan(failAt: k, crash: mode != 2))
                let run = try runSession(script, in: folder, memoryLimit: smallMemory)
                let rebooted = mode == 1 ? folder.afterPowerLoss(seed: UInt64(k) &* 31 &+ seed) : folder.afterKill()
                let image = try reopen(rebooted, old: old, new: new, context: "k=\(k) mode=\(mode)")
                if run.committed { #expect(image == new, "commit returned, so the edit must survive (k=\(k))") }
                if image == new { outcomes.new += 1 } else { outcomes.old += 1 }
            }
        }
        #expect(outcomes.old > 0 && outcomes.new > 0, "both outcomes occur: \(outcomes)")
    }

    /// A crash while a sealed log is being replayed at open is finished by the next open.
    @Test func aCrashDuringReplayIsFinishedByTheNextOpen() throws {
        var random = SeededGenerator(seed: 5)
        let old = randomBytes(33_333, &random)
        let script = Edit.randomScript(length: old.count, steps: 12, random: &random)
        var new = old
        for edit in script { edit.apply(to: &new) }
        // Stop the commit right after the seal is durable (the operation after the folder fsync).
        let pending = try sealedButUnapplied(script, old: old)
        for j in 0..<200 {
            let attempt = pending.afterKill()
            attempt.plan = FaultPlan(failAt: j)
            let finished: Bool
            do {
                _ = try EditJournal(
                    over: attempt.imageStore(writable: true), log: attempt, identity: SimulatedFolder.identity)
                finished = true
            } catch { finished = false }
            for rebooted in [attempt.afterKill(), attempt.afterPowerLoss(seed: UInt64(j))] {
                let image = try reopen(rebooted, old: old, new: new, context: "replay crash j=\(j)")
                #expect(image == new, "a sealed log always ends as the new image (j=\(j))")
            }
            if finished { break }
        }
    }

    @Test func aReadOnlyOpenReadsThroughASealedLogWithoutWriting() throws {
        var random = SeededGenerator(seed: 6)
        let old = randomBytes(20_000, &random)
        let script = Edit.randomScript(length: old.count, steps: 10, random: &random)
        var new = old
        for edit in script { edit.apply(to: &new) }
        let pending = try sealedButUnapplied(script, old: old)
        let before = pending.snapshot
        let view = try RecoveredStore(
            over: pending.imageStore(writable: false), log: pending, identity: SimulatedFolder.identity)
        guard case .readThrough = view.recovery else {
            Issue.record("expected a pending sealed log, got \(view.recovery)")
            return
        }
        #expect(try contents(of: view) == new)
        #expect(pending.snapshot == before, "a read-only open never writes")
        #expect(throws: BlockIOError.self) { try view.write(at: 0, bytes: [0]) }
        // A sealed log of another file is refused, not replayed and not discarded.
        #expect {
            _ = try EditJournal(
                over: pending.imageStore(writable: true), log: pending,
                identity: FileIdentity(device: 1, inode: 2))
        } throws: { ($0 as? BlockIOError)?.code == .journal }
        #expect(pending.snapshot == before)
    }

    /// Damage anywhere in a sealed log (a flipped byte, a cut) makes it torn: it is discarded and the image is
    /// the old one, never a mix, never a crash.
    @Test func aDamagedLogIsTornAndTheImageStaysOld() throws {
        var random = SeededGenerator(seed: 8)
        let old = randomBytes(25_000, &random)
        let script = Edit.randomScript(length: old.count, steps: 10, random: &random)
        let pending = try sealedButUnapplied(script, old: old)
        let log = pending.entries[SimulatedFolder.logName]!.bytes
        var positions = Array(stride(from: 0, to: log.count, by: max(1, log.count / 150)))
        positions += [0, 8, 12, 508, log.count - 1, log.count - 32]
        for position in positions {
            for damage in 0..<2 {
                let folder = pending.afterKill()
                let file = folder.entries[SimulatedFolder.logName]!
                if damage == 0 { file.bytes[position] ^= 0x40 } else { file.bytes.removeSubrange(position...) }
                let view = try RecoveredStore(
                    over: folder.imageStore(writable: false), log: folder, identity: SimulatedFolder.identity)
                #expect(try contents(of: view) == old, "damage at \(position) (\(damage))")
                let journal = try EditJournal(
                    over: folder.imageStore(writable: true), log: folder, identity: SimulatedFolder.identity)
                guard case .discarded = journal.recovery else {
                    Issue.record("damage at \(position): \(journal.recovery)")
                    continue
                }
                #expect(folder.imageBytes == old)
                #expect(!folder.hasLog)
            }
        }
    }

    // MARK: Helpers

    /// Runs `script` then commits, stopping at the first error. Returns how many operations ran and whether
    /// the commit returned.
    func runSession(
        _ script: [Edit], in folder: SimulatedFolder, memoryLimit: Int
    ) throws
        -> (operations: Int, committed: Bool)
    {
        do {
            let journal = try EditJournal(
                over: folder.imageStore(writable: true), log: folder, identity: SimulatedFolder.identity,
                memoryLimit: memoryLimit)
            for edit in script { try edit.apply(to: journal) }
            try journal.commit()
            return (folder.plan.performed, true)
        } catch {
            #expect(folder.plan.hasFailed, "only injected faults fail: \(error)")
            return (folder.plan.performed, false)
        }
    }

    /// Opens the rebooted folder read-only, then writable; checks both see the same image, old or new, and
    /// that the read-only open wrote nothing and the writable one left no log.
    func reopen(_ folder: SimulatedFolder, old: [UInt8], new: [UInt8], context: String) throws -> [UInt8] {
        let before = folder.snapshot
        let view = try RecoveredStore(
            over: folder.imageStore(writable: false), log: folder, identity: SimulatedFolder.identity)
        let seen = try contents(of: view)
        #expect(folder.snapshot == before, "read-only open wrote (\(context))")
        #expect(seen == old || seen == new, "a mix of old and new (\(context), \(view.recovery))")
        let journal = try EditJournal(
            over: folder.imageStore(writable: true), log: folder, identity: SimulatedFolder.identity)
        #expect(folder.imageBytes == seen, "writable open disagrees with read-only open (\(context))")
        #expect(try contents(of: journal) == seen)
        #expect(!folder.hasLog, "recovery leaves no log (\(context))")
        return seen
    }

    /// A folder whose session committed up to a durable seal and stopped before touching the image.
    func sealedButUnapplied(_ script: [Edit], old: [UInt8]) throws -> SimulatedFolder {
        for k in 1..<10_000 {
            let folder = SimulatedFolder(image: old, plan: FaultPlan(failAt: k))
            let run = try runSession(script, in: folder, memoryLimit: smallMemory)
            #expect(!run.committed)
            let rebooted = folder.afterKill()
            let view = try RecoveredStore(
                over: rebooted.imageStore(writable: false), log: rebooted, identity: SimulatedFolder.identity)
            if case .readThrough = view.recovery {
                #expect(rebooted.imageBytes == old)
                return rebooted
            }
        }
        throw BlockIOError(.io, "no crash point left a sealed log")
    }
}
