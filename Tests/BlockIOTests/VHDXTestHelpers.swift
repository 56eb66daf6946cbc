import BlockIO
import Foundation
import _TestSupport

/// Fixture builders and oracles for the VHDX tests: images from `qemu-img create/convert -O vhdx` and
/// `qemu-io`, answers from `qemu-img convert -O raw`, `qemu-img info` and `vhdiinfo`.
enum VHDXFixture {
    /// `qemu-img create -f vhdx -o options path size`.
    static func qemuCreate(_ path: String, size: String, options: String) throws {
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "vhdx", "-o", options, path, size])
    }

    /// `qemu-io -f vhdx -c 'write -P pattern offset length'`.
    static func qemuWrite(_ path: String, pattern: UInt8, offset: UInt64, length: UInt64) throws {
        try ExternalTool.check(["qemu-io", "-f", "vhdx", "-c", "write -P \(pattern) \(offset) \(length)", path])
    }

    /// `qemu-img info -f vhdx --output=json`: virtual size and cluster (block) size.
    static func qemuInfo(_ path: String) throws -> (virtualSize: UInt64, clusterSize: UInt64) {
        let json = try ExternalTool.check(["qemu-img", "info", "-f", "vhdx", "--output=json", path]).stdout
        let object = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        return (
            (object?["virtual-size"] as? NSNumber)?.uint64Value ?? 0,
            (object?["cluster-size"] as? NSNumber)?.uint64Value ?? 0
        )
    }

    /// The `vhdiinfo` lines of interest: `Media size` (bytes), `Bytes per sector`, `Disk type`, `Identifier`.
    static func vhdiinfo(_ path: String) throws -> [String: String] {
        var facts: [String: String] = [:]
        for line in try ExternalTool.check(["vhdiinfo", path]).output.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            var value = parts[1]
            // "64 MiB (67108864 bytes)" -> "67108864"; "512 bytes" -> "512"
            if let open = value.lastIndex(of: "(") { value = String(value[value.index(after: open)...]) }
            facts[parts[0]] = value.replacingOccurrences(of: " bytes)", with: "").replacingOccurrences(
                of: " bytes", with: "")
        }
        return facts
    }

    /// Compares the whole device with qemu's raw conversion of `path`, 4 MiB at a time; returns the first
    /// differing offset, or `nil`. Also checks that every range the device calls known-zero is zeros there.
    static func firstDifference(
        _ device: any BlockDevice, qemuImage path: String, in dir: TemporaryDirectory,
        format: String = "vhdx"
    ) throws -> UInt64? {
        let raw = dir.file(UUID().uuidString + ".raw")
        try ExternalTool.check(["qemu-img", "convert", "-f", format, "-O", "raw", path, raw])
        defer { try? FileManager.default.removeItem(atPath: raw) }
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: raw))
        defer { try? handle.close() }
        guard try VHDFixture.length(raw) == device.size else { return 0 }
        var offset: UInt64 = 0
        let zeros = Data(count: 4 << 20)
        while offset < device.size {
            let count = Int(min(4 << 20, device.size - offset))
            let expected = handle.readData(ofLength: count)
            let ours = Data(try device.read(at: offset, count: count))
            if ours != expected {  // Data compares with memcmp
                let index = ours.indices.first { ours[$0] != expected[$0] } ?? 0
                return offset + UInt64(index)
            }
            if try device.isKnownZero(offset..<offset + UInt64(count)), expected != zeros.prefix(count) {
                return offset
            }
            offset += UInt64(count)
        }
        return nil
    }

    /// The little-endian integer at `offset` of the file.
    static func uint64(_ path: String, at offset: UInt64) throws -> UInt64 {
        try VHDFixture.bytes(path, at: offset, count: 8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func uint32(_ path: String, at offset: UInt64) throws -> UInt32 {
        try VHDFixture.bytes(path, at: offset, count: 4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func littleEndian(_ value: UInt64, count: Int = 8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    /// Recomputes the CRC-32C at `checksumOffset` of the `length` bytes at `offset` of the file (the field as
    /// zero), as a writer of the format would.
    static func reseal(_ path: String, structureAt offset: UInt64, length: Int, checksumOffset: Int = 4) throws {
        var bytes = try VHDFixture.bytes(path, at: offset, count: length)
        bytes.replaceSubrange(checksumOffset..<checksumOffset + 4, with: [0, 0, 0, 0])
        let crc = CRC32C.checksum(bytes)
        try VHDFixture.patch(path, at: offset + UInt64(checksumOffset), littleEndian(UInt64(crc), count: 4))
    }

    /// The region table entries of the file (from the first copy): (guid bytes, file offset, length).
    static func regions(_ path: String) throws -> [(guid: [UInt8], offset: UInt64, length: UInt32)] {
        let count = Int(try uint32(path, at: (192 << 10) + 8))
        return try (0..<count).map { index in
            let at = UInt64((192 << 10) + 16 + 32 * index)
            return (
                try VHDFixture.bytes(path, at: at, count: 16), try uint64(path, at: at + 16),
                try uint32(path, at: at + 24)
            )
        }
    }

    /// The BAT region's file offset (its GUID begins `66 77 C2 2D`).
    static func batOffset(_ path: String) throws -> UInt64 {
        try regions(path).first { $0.guid.prefix(4) == [0x66, 0x77, 0xC2, 0x2D] }!.offset
    }

    /// The metadata region's file offset (its GUID begins `06 A2 7C 8B`).
    static func metadataOffset(_ path: String) throws -> UInt64 {
        try regions(path).first { $0.guid.prefix(4) == [0x06, 0xA2, 0x7C, 0x8B] }!.offset
    }

    /// The file offset of the metadata item whose GUID's first field is `data1`.
    static func metadataItemOffset(_ path: String, data1: UInt32) throws -> UInt64 {
        let base = try metadataOffset(path)
        let count = Int(try VHDFixture.bytes(path, at: base + 10, count: 2).reversed().reduce(0) { $0 << 8 | Int($1) })
        for index in 0..<count {
            let at = base + 32 + 32 * UInt64(index)
            if try uint32(path, at: at) == data1 { return base + UInt64(try uint32(path, at: at + 16)) }
        }
        throw CocoaError(.fileReadCorruptFile)
    }
}
