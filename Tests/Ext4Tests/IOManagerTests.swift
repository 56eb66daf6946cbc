import BlockIO
import Ext4
import Foundation
import Testing
import _TestSupport

/// A block device in memory, counting requests and failing on demand: proves libext2fs reaches the disk only
/// through our io_manager (there is no file for unix_io to open) and that device errors come back typed.
final class MemoryDevice: BlockDevice, @unchecked Sendable {
    var bytes: [UInt8]
    let isWritable: Bool
    var size: UInt64 { UInt64(bytes.count) }
    var reads = 0
    var writes = 0
    var flushes = 0
    /// Fail every read once this many reads have been served.
    var failReadsAfter: Int?

    init(bytes: [UInt8], writable: Bool) {
        self.bytes = bytes
        self.isWritable = writable
    }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count)
        if let limit = failReadsAfter, reads >= limit {
            throw BlockIOError(.io, "injected read failure", path: "memory", offset: offset, errno: EIO)
        }
        reads += 1
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[Int(offset)..<Int(offset) + buffer.count]))
        }
    }

    func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        guard isWritable else { throw BlockIOError(.readOnly, "read-only memory device") }
        try checkBounds(offset: offset, count: buffer.count)
        writes += 1
        bytes.withUnsafeMutableBytes { target in
            UnsafeMutableRawBufferPointer(rebasing: target[Int(offset)..<Int(offset) + buffer.count]).copyMemory(
                from: buffer)
        }
    }

    func flush() throws(BlockIOError) { flushes += 1 }
}

@Suite struct IOManagerTests {
    static func image(_ variant: FilesystemVariant = .ext4) throws -> (Ext4Fixture, [UInt8]) {
        let fixture = try Ext4Fixture(variant, sizeMiB: 8)
        return (fixture, [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture.image))))
    }

    @Test(arguments: [FilesystemVariant.ext4, FilesystemVariant.all[3], FilesystemVariant.all[1]])
    func aFilesystemInMemoryIsReadAndWrittenThroughTheDevice(_ variant: FilesystemVariant) throws {
        let (fixture, bytes) = try Self.image(variant)
        let device = MemoryDevice(bytes: bytes, writable: true)
        let fs = try Ext4FileSystem(device: device, writable: true, clock: 1_700_000_000)
        #expect(try fs.readFile("/etc/hostname") == Array("guest-vm\n".utf8))
        #expect(device.reads > 0)
        try fs.writeFile("/etc/motd", contents: Array("from memory\n".utf8))
        try fs.close()
        #expect(device.writes > 0)
        #expect(device.flushes >= 2, "ext2fs_close2 flushes before and after the primary superblock")
        // Write the memory back to a file and let the real tools judge it.
        try Data(device.bytes).write(to: URL(fileURLWithPath: fixture.image))
        try fixture.expectClean()
        #expect(try fixture.debugfsCat("/etc/motd") == Array("from memory\n".utf8))
    }

    @Test func twoFilesystemsOpenAtOnceKeepTheirOwnDevices() throws {
        let (_, bytes) = try Self.image()
        let first = MemoryDevice(bytes: bytes, writable: true)
        let second = MemoryDevice(bytes: bytes, writable: true)
        let a = try Ext4FileSystem(device: first, writable: true)
        let b = try Ext4FileSystem(device: second, writable: true)
        try a.writeFile("/only-in-a", contents: [1])
        #expect(try !b.exists("/only-in-a"))
        try a.close()
        try b.close()
        #expect(first.bytes != second.bytes)
    }

    @Test func aFailingWriteIsReportedWithTheDeviceErrorAndAbortsTheSession() throws {
        let (_, bytes) = try Self.image()
        let device = MemoryDevice(bytes: bytes, writable: true)
        let fs = try Ext4FileSystem(device: FailingWrites(base: device), writable: true)
        do {
            try fs.chmod("/etc/hostname", mode: 0o600)  // the inode write reaches the device and fails
            Issue.record("a write through a failing device succeeded")
        } catch {
            #expect(error.code == .io, "\(error)")
            #expect(error.underlying?.message == "injected write failure")
            #expect(error.underlying?.errno == EIO)
        }
        #expect(fs.hasFailedChange)
        expectExt4Error(.aborted) { try fs.writeFile("/etc/more", contents: [1]) }
        expectExt4Error(.aborted) { try fs.close() }
        #expect(device.bytes == bytes, "nothing was written")
    }

    @Test func aFailingReadIsReportedWithTheDeviceError() throws {
        let (_, bytes) = try Self.image()
        let device = MemoryDevice(bytes: bytes, writable: false)
        let fs = try Ext4FileSystem(device: device, writable: false)
        device.failReadsAfter = device.reads
        do {
            _ = try fs.list(.root, recursive: true)
            Issue.record("reading through a failing device succeeded")
        } catch {
            #expect(error.code == .io)
            #expect(error.underlying?.errno == EIO)
        }
    }
}

/// Passes reads through and fails every write.
final class FailingWrites: BlockDevice, @unchecked Sendable {
    let base: any BlockDevice
    init(base: any BlockDevice) { self.base = base }
    var size: UInt64 { base.size }
    var isWritable: Bool { true }
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try base.read(at: offset, into: buffer)
    }
    func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        throw BlockIOError(.io, "injected write failure", path: "memory", offset: offset, errno: EIO)
    }
    func flush() throws(BlockIOError) {}
}

@Suite struct LifetimeTests {
    @Test func aClosedFilesystemAnswersWithErrorsNotCrashes() throws {
        let (_, bytes) = try IOManagerTests.image()
        let fs = try Ext4FileSystem(device: MemoryDevice(bytes: bytes, writable: true), writable: true)
        let info = fs.info
        try fs.close()
        #expect(fs.info.uuid == info.uuid, "info survives the close")
        expectExt4Error(.invalidArgument) { _ = try fs.readFile("/etc/hostname") }
        expectExt4Error(.invalidArgument) { try fs.writeFile("/x", contents: []) }
        try fs.close()  // twice: nothing more to do
    }

    @Test func droppingAWritableFilesystemWritesNothing() throws {
        let (_, bytes) = try IOManagerTests.image()
        let device = MemoryDevice(bytes: bytes, writable: true)
        do {
            let fs = try Ext4FileSystem(device: device, writable: true)
            _ = try fs.list(.root)
        }
        #expect(device.bytes == bytes)
    }
}
