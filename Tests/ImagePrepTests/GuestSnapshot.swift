import Foundation
import _TestSupport

/// Every path of an ext4 partition with its type, mode, owner, size and (for regular files and symlinks) the
/// sha256 of its contents — read with debugfs only (`ls -p` walked level by level, `dump` of each file), from
/// a raw disk made with `qemu-img convert`.
struct GuestSnapshot: Equatable {
    struct Entry: Equatable, CustomStringConvertible {
        var mode: String
        var uid: String
        var gid: String
        var size: String
        var digest: String?
        var description: String {
            "mode \(mode) \(uid):\(gid) size \(size) \(digest.map { String($0.prefix(12)) } ?? "")"
        }
        var isDirectory: Bool { mode.hasPrefix("40") }
        var isRegular: Bool { mode.hasPrefix("100") }
        var isSymlink: Bool { mode.hasPrefix("120") }
    }

    var entries: [String: Entry]

    /// The snapshot of the partition at byte `offset` of the VHD or raw `image`.
    static func take(_ image: String, offset: UInt64 = 1 << 20, work: TemporaryDirectory) throws -> GuestSnapshot {
        try RawDisk(image, work: work).snapshot()
    }

    /// The snapshot of the partition at byte `offset` of the raw disk `raw`.
    static func take(raw: String, offset: UInt64 = 1 << 20, work: TemporaryDirectory) throws -> GuestSnapshot {
        let fs = "\(raw)?offset=\(offset)"
        var entries: [String: Entry] = [:]
        var level = ["/"]
        while !level.isEmpty {
            let script = level.map { "ls -p \"\($0)\"" }.joined(separator: "\n") + "\n"
            let commands = work.file("cmds-\(UUID().uuidString)")
            try script.write(toFile: commands, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: commands) }
            let output = try ExternalTool.check(["debugfs", "-f", commands, fs]).output
            var next: [String] = []
            var current = level.makeIterator()
            var directory = ""
            for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("debugfs:") { directory = current.next() ?? directory; continue }
                // /inode/mode/uid/gid/name/size/
                let fields = line.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                guard fields.count >= 7, fields[5] != ".", fields[5] != "..", !fields[5].isEmpty else { continue }
                let path = directory == "/" ? "/" + fields[5] : directory + "/" + fields[5]
                let mode = String(fields[2].drop(while: { $0 == "0" }))
                let entry = Entry(mode: mode, uid: fields[3], gid: fields[4], size: fields[6], digest: nil)
                entries[path] = entry
                if entry.isDirectory { next.append(path) }
            }
            level = next
        }
        // Contents: one debugfs run dumping every regular file; symlink targets from stat.
        let dumpDir = try TemporaryDirectory(prefix: "vhdedit-dump")
        let files = entries.filter { $0.value.isRegular }.map(\.key).sorted()
        var script = ""
        for (index, path) in files.enumerated() { script += "dump \"\(path)\" \(dumpDir.path)/\(index)\n" }
        let links = entries.filter { $0.value.isSymlink }.map(\.key).sorted()
        for path in links { script += "stat \"\(path)\"\n" }
        let commands = work.file("dump-\(UUID().uuidString)")
        try script.write(toFile: commands, atomically: true, encoding: .utf8)
        let statOutput = try ExternalTool.check(["debugfs", "-f", commands, fs]).output
        try? FileManager.default.removeItem(atPath: commands)
        for (index, path) in files.enumerated() {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(dumpDir.path)/\(index)"))
            entries[path]?.digest = Self.hash(data)
        }
        // Fast link targets appear as 'Fast link dest: "target"'.
        var linkIndex = 0
        for line in statOutput.split(separator: "\n") where line.contains("link dest:") {
            guard linkIndex < links.count else { break }
            entries[links[linkIndex]]?.digest = String(line.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(
                in: .whitespaces)
            linkIndex += 1
        }
        return GuestSnapshot(entries: entries)
    }

    static func hash(_ data: Data) -> String {
        // FNV-1a 64 is enough to tell contents apart in a test.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(h, radix: 16) + "-\(data.count)"
    }

    /// What differs from `self` to `after`.
    func difference(to after: GuestSnapshot) -> (removed: Set<String>, added: Set<String>, changed: Set<String>) {
        let before = Set(entries.keys), now = Set(after.entries.keys)
        var changed = Set<String>()
        for path in before.intersection(now) {
            let a = entries[path]!, b = after.entries[path]!
            // Directories change size when entries go; compare what matters for them: mode and owner.
            if a.isDirectory && b.isDirectory {
                if a.mode != b.mode || a.uid != b.uid || a.gid != b.gid { changed.insert(path) }
            } else if a != b {
                changed.insert(path)
            }
        }
        return (before.subtracting(now), now.subtracting(before), changed)
    }
}

/// A VHD converted once to a raw disk with `qemu-img convert`, read with debugfs and e2fsck at the partition.
final class RawDisk {
    let path: String
    let work: TemporaryDirectory
    let offset: UInt64

    init(_ image: String, work: TemporaryDirectory, offset: UInt64 = 1 << 20) throws {
        self.work = work
        self.offset = offset
        path = work.file("raw-\(UUID().uuidString).raw")
        try ExternalTool.check(["qemu-img", "convert", "-O", "raw", image, path])
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func snapshot() throws -> GuestSnapshot { try GuestSnapshot.take(raw: path, offset: offset, work: work) }

    /// `debugfs -R "cat PATH"`.
    func cat(_ guestPath: String) throws -> String {
        try ExternalTool.check(["debugfs", "-R", "cat \"\(guestPath)\"", "\(path)?offset=\(offset)"]).output
    }

    /// `e2fsck -fn`.
    func fsck() throws -> ExternalTool.Result { try Fixtures.fsck(path, offset: offset) }
}
