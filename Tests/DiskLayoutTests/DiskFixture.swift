import BlockIO
import Foundation
import _TestSupport

/// Builds partitioned test disks with the real tools (truncate, sfdisk, sgdisk, mkfs.*, dd, qemu-img) and reads
/// their answers (sfdisk --json, blkid -p) back as oracles.
struct DiskFixture {
    let directory: TemporaryDirectory
    let path: String

    /// A sparse raw disk of `sizeMiB` named `name`.
    init(sizeMiB: Int, name: String = "disk.raw") throws {
        directory = try TemporaryDirectory(prefix: "vhdedit-layout")
        path = directory.file(name)
        try ExternalTool.check(["truncate", "-s", "\(sizeMiB)M", path])
    }

    /// Partitions the disk with an `sfdisk` script.
    func sfdisk(_ script: String) throws {
        try ExternalTool.check(["sfdisk", "-q", "--no-reread", "--no-tell-kernel", path], stdin: Data(script.utf8))
    }

    /// Runs `sgdisk ARGS disk`.
    func sgdisk(_ arguments: [String]) throws {
        try ExternalTool.check(["sgdisk"] + arguments + [path])
    }

    /// `sfdisk --json`: the table object.
    func sfdiskTable() throws -> [String: Any] {
        let output = try ExternalTool.check(["sfdisk", "--json", path]).stdout
        let root = try JSONSerialization.jsonObject(with: output) as! [String: Any]
        return root["partitiontable"] as! [String: Any]
    }

    /// `sfdisk --json`'s partitions, keyed by partition number (the digits ending "node").
    func sfdiskPartitions() throws -> [Int: [String: Any]] {
        var byNumber: [Int: [String: Any]] = [:]
        for entry in (try sfdiskTable()["partitions"] as? [[String: Any]]) ?? [] {
            let node = entry["node"] as! String
            let digits = node.reversed().prefix { $0.isNumber }.reversed()
            byNumber[Int(String(digits))!] = entry
        }
        return byNumber
    }

    /// Makes a filesystem with `command` (the image path is appended, then `extra`) in a sparse file of
    /// `sizeMiB`, and copies it into the disk at `sector` (`dd conv=sparse,notrunc`).
    func place(_ command: [String], sizeMiB: Int, atSector sector: UInt64, extra: [String] = []) throws {
        let file = directory.file("fs-\(sector).img")
        try ExternalTool.check(["truncate", "-s", "\(sizeMiB)M", file])
        try ExternalTool.check(command + [file] + extra)
        try ExternalTool.check([
            "dd", "if=\(file)", "of=\(path)", "bs=1M", "seek=\(sector * 512)", "oflag=seek_bytes",
            "conv=sparse,notrunc", "status=none",
        ])
        try FileManager.default.removeItem(atPath: file)
    }

    /// `blkid -p -o export -O OFFSET -S SIZE disk`: the values blkid finds for a volume (empty when none).
    func blkid(offset: UInt64, size: UInt64) throws -> [String: String] {
        let result = try ExternalTool.run([
            "blkid", "-p", "-o", "export", "-O", String(offset), "-S", String(size), path,
        ])
        var values: [String: String] = [:]
        for line in result.output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    /// A VHD conversion of the disk made by qemu-img (`subformat` `dynamic` or `fixed`, exact size).
    func vhd(_ subformat: String) throws -> String {
        let out = directory.file("disk-\(subformat).vhd")
        try ExternalTool.check([
            "qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=\(subformat),force_size=on", path, out,
        ])
        return out
    }

    /// Overwrites bytes of the disk file at `offset`.
    func patch(at offset: UInt64, _ bytes: [UInt8]) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    /// Reads bytes of the disk file.
    func bytes(at offset: UInt64, count: Int) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        try handle.seek(toOffset: offset)
        let data = try handle.read(upToCount: count) ?? Data()
        try handle.close()
        return [UInt8](data)
    }

    /// Recomputes a GPT header's CRC32 with Python's zlib (an implementation nobody here wrote), after a test
    /// changed a field on purpose.
    func fixGPTHeaderCRC(atLBA lba: UInt64) throws {
        try ExternalTool.check([
            DiskFixture.python, "-c",
            """
            import sys, zlib, struct
            f = open(sys.argv[1], 'r+b'); off = int(sys.argv[2]) * 512
            f.seek(off); sector = bytearray(f.read(512))
            size = struct.unpack_from('<I', sector, 12)[0]
            sector[16:20] = b'\\0\\0\\0\\0'
            struct.pack_into('<I', sector, 16, zlib.crc32(bytes(sector[:size])) & 0xffffffff)
            f.seek(off); f.write(sector); f.close()
            """, path, String(lba),
        ])
    }

    /// The system Python (faster to start than a pyenv shim), else whatever `python3` is on PATH.
    static let python =
        FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"

    /// A copy (sparse, `cp --sparse=always`) of the disk at `source`, in a fresh fixture.
    init(copying source: String) throws {
        directory = try TemporaryDirectory(prefix: "vhdedit-layout")
        path = directory.file("disk.raw")
        try ExternalTool.check(["cp", "--sparse=always", source, path])
    }
}
