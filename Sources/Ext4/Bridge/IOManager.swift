// The libext2fs io_manager, implemented in Swift over any BlockDevice.
//
// libext2fs reaches the disk only through an `io_manager`: a table of C function pointers. Ours answers every
// block request from a `BlockDevice`, so a raw file, a VHD of any type or a partition slice all look alike to
// libext2fs. The manager's `open` receives nothing but a name, so a process-global registry maps channel names
// to backends; re-opening by name (which libext2fs's journal code does) finds the same device.
//
// The files of Bridge/ are the only places of the ext4 layer that handle unsafe pointers.

import BlockIO
internal import CExt2fs
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What one registered channel name stands for: the device, whether it may be written, and the last device
/// error (a Swift error cannot cross libext2fs's C frames, so it waits here for the Swift wrapper to rethrow).
final class DeviceBackend: @unchecked Sendable {
    let device: any BlockDevice
    let writable: Bool
    private let lastErrorStorage = Mutex<BlockIOError?>(nil)

    init(device: any BlockDevice, writable: Bool) {
        self.device = device
        self.writable = writable
    }

    /// The device error of the last failed request, if any.
    var lastError: BlockIOError? {
        get { lastErrorStorage.withLock { $0 } }
        set { lastErrorStorage.withLock { $0 = newValue } }
    }

    /// Takes (and clears) the stored device error.
    func takeError() -> BlockIOError? {
        lastErrorStorage.withLock { value in
            defer { value = nil }; return value
        }
    }
}

/// The process-global map from io channel names to backends.
enum DeviceRegistry {
    /// By the name's number. An array of pairs, not a `[Int: DeviceBackend]`: a process holds a few, and the
    /// first dictionary made the Swift runtime scan every protocol-conformance record of the binary (a tenth of
    /// a small `cat`'s start-up).
    private static let backends = Mutex<[(number: Int, backend: DeviceBackend)]>([])
    private static let counter = Atomic<Int>(0)
    private static let prefix = "vhdedit-device-"

    /// Registers `backend` under a fresh name (never containing `?`, which libext2fs treats as an option
    /// separator) and returns the name.
    static func register(_ backend: DeviceBackend) -> String {
        let number = counter.add(1, ordering: .relaxed).newValue
        backends.withLock { $0.append((number, backend)) }
        return "\(prefix)\(number)"
    }

    static func backend(named name: String) -> DeviceBackend? {
        guard let number = number(of: name) else { return nil }
        return backends.withLock { list in list.first { $0.number == number }?.backend }
    }

    static func unregister(_ name: String) {
        guard let number = number(of: name) else { return }
        backends.withLock { list in list.removeAll { $0.number == number } }
    }

    /// The number in a name made by ``register(_:)``, or nil for any other name.
    private static func number(of name: String) -> Int? {
        guard name.hasPrefix(prefix) else { return nil }
        return Int(name.dropFirst(prefix.count))
    }
}

/// The one io_manager table; libext2fs keeps pointers to it for the life of every channel.
nonisolated(unsafe) let blockDeviceIOManager: io_manager = {
    let manager = UnsafeMutablePointer<struct_io_manager>.allocate(capacity: 1)
    manager.initialize(to: struct_io_manager())
    manager.pointee.magic = errcode_t(EXT2_ET_MAGIC_IO_MANAGER)
    manager.pointee.name = UnsafePointer(strdup("vhdedit BlockDevice I/O manager"))
    manager.pointee.open = { name, flags, channelOut in ioOpen(name, flags, channelOut) }
    manager.pointee.close = { channel in ioClose(channel) }
    manager.pointee.set_blksize = { channel, size in
        guard let channel, size > 0 else { return errcode_t(EXT2_ET_INVALID_ARGUMENT) }
        channel.pointee.block_size = size  // no cache to drop: every request goes to the device
        return 0
    }
    manager.pointee.read_blk = { channel, block, count, data in ioRead(channel, UInt64(block), count, data) }
    manager.pointee.write_blk = { channel, block, count, data in ioWrite(channel, UInt64(block), count, data) }
    manager.pointee.read_blk64 = { channel, block, count, data in ioRead(channel, UInt64(block), count, data) }
    manager.pointee.write_blk64 = { channel, block, count, data in ioWrite(channel, UInt64(block), count, data) }
    manager.pointee.flush = { channel in ioFlush(channel) }
    manager.pointee.set_option = { _, _, _ in errcode_t(EXT2_ET_INVALID_ARGUMENT) }
    manager.pointee.cache_readahead = { _, _, _ in errcode_t(EXT2_ET_OP_NOT_SUPPORTED) }
    return manager
}()

private func backend(of channel: io_channel?) -> DeviceBackend? {
    guard let raw = channel?.pointee.private_data else { return nil }
    return Unmanaged<DeviceBackend>.fromOpaque(raw).takeUnretainedValue()
}

private func ioOpen(
    _ name: UnsafePointer<CChar>?, _ flags: Int32, _ channelOut: UnsafeMutablePointer<io_channel?>?
) -> errcode_t {
    guard let name, let channelOut else { return errcode_t(EXT2_ET_BAD_DEVICE_NAME) }
    guard let backend = DeviceRegistry.backend(named: String(cString: name)) else {
        return errcode_t(EXT2_ET_BAD_DEVICE_NAME)
    }
    if flags & Int32(IO_FLAG_RW) != 0 && !backend.writable { return errcode_t(EXT2_ET_RO_FILSYS) }
    guard let raw = calloc(1, MemoryLayout<struct_io_channel>.size) else { return errcode_t(EXT2_ET_NO_MEMORY) }
    let channel = raw.bindMemory(to: struct_io_channel.self, capacity: 1)
    channel.pointee.magic = errcode_t(EXT2_ET_MAGIC_IO_CHANNEL)
    channel.pointee.manager = blockDeviceIOManager
    channel.pointee.name = strdup(name)
    channel.pointee.block_size = 1024
    channel.pointee.refcount = 1
    channel.pointee.flags = 0
    channel.pointee.align = 0
    channel.pointee.private_data = Unmanaged.passRetained(backend).toOpaque()
    channelOut.pointee = channel
    return 0
}

private func ioClose(_ channel: io_channel?) -> errcode_t {
    guard let channel else { return errcode_t(EXT2_ET_MAGIC_IO_CHANNEL) }
    channel.pointee.refcount -= 1
    if channel.pointee.refcount > 0 { return 0 }
    var result: errcode_t = 0
    if let raw = channel.pointee.private_data {
        let backend = Unmanaged<DeviceBackend>.fromOpaque(raw)
        if backend.takeUnretainedValue().writable { result = ioFlush(channel) }
        backend.release()
    }
    free(channel.pointee.name)
    free(channel)
    return result
}

/// Byte length of a request: a positive count is in blocks of the channel's size; a negative one is bytes.
private func requestLength(_ channel: io_channel, _ count: Int32) -> Int? {
    if count < 0 { return Int(-Int64(count)) }
    let (bytes, overflow) = Int(count).multipliedReportingOverflow(by: Int(channel.pointee.block_size))
    return overflow ? nil : bytes
}

private func ioRead(
    _ channel: io_channel?, _ block: UInt64, _ count: Int32, _ data: UnsafeMutableRawPointer?
)
    -> errcode_t
{
    guard let channel, let backend = backend(of: channel), let data else {
        return errcode_t(EXT2_ET_MAGIC_IO_CHANNEL)
    }
    guard let length = requestLength(channel, count) else { return errcode_t(EXT2_ET_INVALID_ARGUMENT) }
    let (offset, overflow) = block.multipliedReportingOverflow(by: UInt64(channel.pointee.block_size))
    let size = backend.device.size
    // The part of the request inside the device; the rest reads as a short read (zero-filled, like unix_io).
    let available = overflow || offset >= size ? 0 : Int(min(UInt64(length), size - offset))
    var failure: errcode_t = 0
    do {
        if available > 0 {
            try backend.device.read(at: offset, into: UnsafeMutableRawBufferPointer(start: data, count: available))
        }
    } catch {
        backend.lastError = error
        failure = errcode_t(EIO)
    }
    if failure == 0 && available == length { return 0 }
    let got = failure == 0 ? available : 0
    (data + got).initializeMemory(as: UInt8.self, repeating: 0, count: length - got)
    if failure == 0 {
        failure = errcode_t(EXT2_ET_SHORT_READ)
        if backend.lastError == nil {
            backend.lastError = BlockIOError(
                .outOfBounds, "libext2fs read \(length) bytes past the end of the filesystem's device (size \(size))",
                offset: offset)
        }
    }
    if let handler = channel.pointee.read_error {
        return handler(channel, UInt(truncatingIfNeeded: block), count, data, length, Int32(got), failure)
    }
    return failure
}

private func ioWrite(
    _ channel: io_channel?, _ block: UInt64, _ count: Int32, _ data: UnsafeRawPointer?
)
    -> errcode_t
{
    guard let channel, let backend = backend(of: channel), let data else {
        return errcode_t(EXT2_ET_MAGIC_IO_CHANNEL)
    }
    guard backend.writable else { return errcode_t(EXT2_ET_RO_FILSYS) }
    guard let length = requestLength(channel, count) else { return errcode_t(EXT2_ET_INVALID_ARGUMENT) }
    let (offset, overflow) = block.multipliedReportingOverflow(by: UInt64(channel.pointee.block_size))
    var failure: errcode_t = 0
    if overflow {
        failure = errcode_t(EXT2_ET_SHORT_WRITE)
    } else {
        do {
            try backend.device.write(at: offset, from: UnsafeRawBufferPointer(start: data, count: length))
        } catch {
            backend.lastError = error
            failure = error.code == .outOfBounds ? errcode_t(EXT2_ET_SHORT_WRITE) : errcode_t(EIO)
        }
    }
    if failure == 0 { return 0 }
    if let handler = channel.pointee.write_error {
        return handler(channel, UInt(truncatingIfNeeded: block), count, data, length, 0, failure)
    }
    return failure
}

private func ioFlush(_ channel: io_channel?) -> errcode_t {
    guard let channel, let backend = backend(of: channel) else { return errcode_t(EXT2_ET_MAGIC_IO_CHANNEL) }
    guard backend.writable else { return 0 }
    do {
        try backend.device.flush()
        return 0
    } catch {
        backend.lastError = error
        return errcode_t(EIO)
    }
}
