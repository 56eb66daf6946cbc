import BlockIO
import _TestSupport

/// When the simulated machine stops: after `failAt` mutating operations (writes, length changes, fsyncs, file
/// creations and deletions, folder fsyncs) the next one fails.
///
/// `crash` makes every later operation fail too (the process was killed); otherwise only that one fails (an
/// I/O error the session sees and survives), in the spirit of e2fsprogs' test_io `TEST_IO_WRITE_ABORT`.
final class FaultPlan {
    var failAt: Int?
    var crash = true
    private(set) var performed = 0
    private(set) var hasFailed = false

    init(failAt: Int? = nil, crash: Bool = true) {
        self.failAt = failAt
        self.crash = crash
    }

    func step(_ what: String, path: String) throws(BlockIOError) {
        if hasFailed && crash { throw BlockIOError(.io, "process is dead (\(what))", path: path) }
        if performed == failAt {
            hasFailed = true
            performed += 1
            throw BlockIOError(.io, "injected fault at operation #\(performed - 1) (\(what))", path: path)
        }
        performed += 1
    }
}

/// A file of the simulated machine: the bytes the page cache holds, and the bytes that would survive a power
/// loss (the state at the last fsync plus whichever later changes happen to reach the disk).
final class SimulatedFile {
    enum Change {
        case write(UInt64, [UInt8])
        case length(UInt64)
    }

    var bytes: [UInt8]
    var durable: [UInt8]
    var unsynced: [Change] = []

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        durable = bytes
    }

    static func apply(_ change: Change, to bytes: inout [UInt8]) {
        switch change {
        case .write(let offset, let data):
            let end = Int(offset) + data.count
            if bytes.count < end { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
            bytes.replaceSubrange(Int(offset)..<end, with: data)
        case .length(let length):
            if bytes.count > Int(length) {
                bytes.removeSubrange(Int(length)...)
            } else {
                bytes += [UInt8](repeating: 0, count: Int(length) - bytes.count)
            }
        }
    }

    /// What a power loss leaves: the durable bytes plus a random subset of the unsynced changes, in order,
    /// each possibly torn (only a prefix of a write reaching the disk).
    func afterPowerLoss(_ random: inout SeededGenerator) -> [UInt8] {
        var result = durable
        for change in unsynced where Bool.random(using: &random) {
            if case .write(let offset, let data) = change, Bool.random(using: &random), data.count > 1 {
                let kept = Int.random(in: 1..<data.count, using: &random)
                Self.apply(.write(offset, Array(data[..<kept])), to: &result)
            } else {
                Self.apply(change, to: &result)
            }
        }
        return result
    }
}

/// A ``ByteStore`` over a simulated file that fails (or kills the process) at operation #k of a ``FaultPlan``.
final class FaultInjectingStore: ByteStore {
    let file: SimulatedFile
    let plan: FaultPlan
    let path: String
    let isWritable: Bool

    init(file: SimulatedFile, plan: FaultPlan, path: String, writable: Bool) {
        self.file = file
        self.plan = plan
        self.path = path
        self.isWritable = writable
    }

    func length() throws(BlockIOError) -> UInt64 { UInt64(file.bytes.count) }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) -> Int {
        guard offset < UInt64(file.bytes.count) else { return 0 }
        let count = min(buffer.count, file.bytes.count - Int(offset))
        UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
            .copyBytes(from: file.bytes[Int(offset)..<(Int(offset) + count)])
        return count
    }

    func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        guard isWritable else { throw BlockIOError(.readOnly, "read-only", path: path) }
        try plan.step("write", path: path)
        let change = SimulatedFile.Change.write(offset, Array(buffer))
        SimulatedFile.apply(change, to: &file.bytes)
        file.unsynced.append(change)
    }

    func setLength(_ length: UInt64) throws(BlockIOError) {
        guard isWritable else { throw BlockIOError(.readOnly, "read-only", path: path) }
        try plan.step("setLength", path: path)
        SimulatedFile.apply(.length(length), to: &file.bytes)
        file.unsynced.append(.length(length))
    }

    func sync() throws(BlockIOError) {
        guard isWritable else { return }
        try plan.step("fsync", path: path)
        file.durable = file.bytes
        file.unsynced = []
    }
}

/// A folder of the simulated machine holding an image and its redo log, with durable and pending entries.
final class SimulatedFolder: RedoLogLocation {
    static let imageName = "disk.img"
    static let logName = "disk.img.vhdedit-journal"
    static let identity = FileIdentity(device: 7, inode: 42)

    private(set) var entries: [String: SimulatedFile]
    private var durableEntries: [String: SimulatedFile]
    private var unsyncedEntries: [(String, SimulatedFile?)] = []
    var plan: FaultPlan
    var path: String { Self.logName }

    init(image: [UInt8], plan: FaultPlan = FaultPlan()) {
        let file = SimulatedFile(image)
        entries = [Self.imageName: file]
        durableEntries = entries
        self.plan = plan
    }

    private init(entries: [String: SimulatedFile], plan: FaultPlan) {
        self.entries = entries
        durableEntries = entries
        self.plan = plan
    }

    /// The image as a store (writable or not) under the folder's plan.
    func imageStore(writable: Bool) -> FaultInjectingStore {
        FaultInjectingStore(file: entries[Self.imageName]!, plan: plan, path: Self.imageName, writable: writable)
    }

    var imageBytes: [UInt8] { entries[Self.imageName]!.bytes }
    var hasLog: Bool { entries[Self.logName] != nil }

    /// Every file's bytes, to prove a read-only open changed nothing.
    var snapshot: [String: [UInt8]] { entries.mapValues(\.bytes) }

    func openExisting() throws(BlockIOError) -> (any ByteStore)? {
        guard let file = entries[Self.logName] else { return nil }
        return FaultInjectingStore(file: file, plan: plan, path: Self.logName, writable: false)
    }

    func create() throws(BlockIOError) -> any ByteStore {
        try plan.step("create", path: Self.logName)
        let file = SimulatedFile([])
        entries[Self.logName] = file
        unsyncedEntries.append((Self.logName, file))
        return FaultInjectingStore(file: file, plan: plan, path: Self.logName, writable: true)
    }

    func remove() throws(BlockIOError) {
        guard entries[Self.logName] != nil else { return }
        try plan.step("unlink", path: Self.logName)
        entries[Self.logName] = nil
        unsyncedEntries.append((Self.logName, nil))
    }

    func syncFolder() throws(BlockIOError) {
        try plan.step("fsync folder", path: ".")
        durableEntries = entries
        unsyncedEntries = []
    }

    /// The folder after the process was killed: everything written so far survives (it is in the page cache).
    func afterKill() -> SimulatedFolder {
        SimulatedFolder(entries: entries.mapValues { SimulatedFile($0.bytes) }, plan: FaultPlan())
    }

    /// The folder after a power loss: durable state plus a random subset of what was not yet fsynced.
    func afterPowerLoss(seed: UInt64) -> SimulatedFolder {
        var random = SeededGenerator(seed: seed)
        var surviving = durableEntries
        for (name, file) in unsyncedEntries where Bool.random(using: &random) { surviving[name] = file }
        return SimulatedFolder(
            entries: surviving.mapValues { SimulatedFile($0.afterPowerLoss(&random)) }, plan: FaultPlan())
    }
}
