import BlockIO
import Foundation
import _TestSupport

/// Fixture builders and oracles for the VHD tests: images come from qemu-img/qemu-io, answers from
/// `qemu-img convert`, `qemu-img compare`, `qemu-img info` and `vhdiinfo`.
enum VHDFixture {
    /// Runs `body`, retried for a moment while it fails with `inUse`: while a parallel test spawns a tool, the
    /// child process briefly holds copies of this process's descriptors (and so their flock) until it execs.
    @discardableResult
    static func retryingInUse<T>(_ body: () throws(BlockIOError) -> T) throws(BlockIOError) -> T {
        var attempt = 0
        while true {
            do {
                return try body()
            } catch  where error.code == .inUse && attempt < 40 {
                attempt += 1
                usleep(25_000)
            }
        }
    }

    /// `DiskImage.open` through ``retryingInUse(_:)``.
    static func open(path: String, writable: Bool = false) throws(BlockIOError) -> DiskImage {
        try retryingInUse { () throws(BlockIOError) in try DiskImage.open(path: path, writable: writable) }
    }

    /// `qemu-img create -f vpc [-o options] path size`.
    static func qemuCreate(_ path: String, size: String, options: String? = nil) throws {
        var arguments = ["qemu-img", "create", "-q", "-f", "vpc"]
        if let options { arguments += ["-o", options] }
        try ExternalTool.check(arguments + [path, size])
    }

    /// Writes pattern bytes with `qemu-io -c 'write -P pattern offset length'`.
    static func qemuWrite(_ path: String, pattern: UInt8, offset: UInt64, length: UInt64) throws {
        try ExternalTool.check(["qemu-io", "-f", "vpc", "-c", "write -P \(pattern) \(offset) \(length)", path])
    }

    /// `qemu-img convert -f vpc -O raw`, returning the raw file's bytes.
    static func qemuRaw(_ path: String, in dir: TemporaryDirectory, format: String = "vpc") throws -> [UInt8] {
        let raw = dir.file(UUID().uuidString + ".raw")
        try ExternalTool.check(["qemu-img", "convert", "-f", format, "-O", "raw", path, raw])
        defer { try? FileManager.default.removeItem(atPath: raw) }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
    }

    /// The virtual size `qemu-img info -f vpc --output=json` reports.
    static func qemuVirtualSize(_ path: String, format: String = "vpc") throws -> UInt64 {
        let json = try ExternalTool.check(["qemu-img", "info", "-f", format, "--output=json", path]).stdout
        let object = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        return (object?["virtual-size"] as? NSNumber)?.uint64Value ?? 0
    }

    /// The media size `vhdiinfo` reports.
    static func vhdiinfoSize(_ path: String) throws -> UInt64? {
        let output = try ExternalTool.check(["vhdiinfo", path]).output
        for line in output.split(separator: "\n") where line.contains("Media size") {
            // "Media size:  64 MiB (67108864 bytes)"
            if let open = line.lastIndex(of: "("), let space = line[open...].firstIndex(of: " ") {
                return UInt64(line[line.index(after: open)..<space])
            }
        }
        return nil
    }

    /// Whether libvhdi's `vhdimount` can run here (it needs FUSE).
    static var canMountWithLibvhdi: Bool {
        FileManager.default.fileExists(atPath: "/dev/fuse")
            && FileManager.default.fileExists(atPath: "/usr/bin/vhdimount")
    }

    /// The disk libvhdi reads from `path` (differencing parents resolved by libvhdi), via `vhdimount`; `layer`
    /// picks the image of a chain (1 = the base … N = `path` itself).
    static func libvhdiRaw(_ path: String, in dir: TemporaryDirectory, layer: Int) throws -> [UInt8] {
        let mountPoint = dir.file("vhdimount-" + UUID().uuidString)
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        // vhdimount daemonizes: the daemon must hold none of our pipes (nor any other descriptor this process
        // leaked into the shell), or reading the tool's output would never end.
        try ExternalTool.shell(
            "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done; "
                + "exec vhdimount '\(path)' '\(mountPoint)' >/dev/null 2>&1 </dev/null")
        defer {
            _ = try? ExternalTool.run(["fusermount", "-u", mountPoint])
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: mountPoint + "/vhdi\(layer)")))
    }

    /// The whole device, read in 1 MiB pieces.
    static func readAll(_ device: any BlockDevice) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(device.size))
        var offset: UInt64 = 0
        while offset < device.size {
            let count = Int(min(1 << 20, device.size - offset))
            bytes += try device.read(at: offset, count: count)
            offset += UInt64(count)
        }
        return bytes
    }

    /// Overwrites `bytes` at `offset` of the file (like `dd conv=notrunc`).
    static func patch(_ path: String, at offset: UInt64, _ bytes: [UInt8]) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: offset)
        handle.write(Data(bytes))
        try handle.close()
    }

    /// The bytes of the file at `offset`.
    static func bytes(_ path: String, at offset: UInt64, count: Int) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        return [UInt8](handle.readData(ofLength: count))
    }

    /// The file's length.
    static func length(_ path: String) throws -> UInt64 {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// Deterministic pseudo-random bytes.
    static func pseudoRandom(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }
}
