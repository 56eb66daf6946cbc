import ArgumentParser
import Foundation
import VHDEditKit

/// Shared pieces of the file commands (`ls`, `cat`, `stat`, `get`, `put`, `rm`, `mkdir`, `symlink`, `chmod`,
/// `chown`, `edit`): opening the guest filesystem, parsing guest paths, printing names.
enum GuestCommand {
    /// Opens the image's root filesystem (or `--partition N`), printing its warnings to standard error.
    static func open(_ target: ImageOptions, writable: Bool) throws -> GuestImage {
        let guest = try GuestImage.open(path: target.image, writable: writable, partition: target.partition)
        for warning in guest.warnings { CommandFailure.printError("vhdedit: warning: \(warning)") }
        return guest
    }

    /// Opens the guest writable, runs `body`, and writes everything back.
    static func edit(_ target: ImageOptions, _ body: (Ext4FileSystem) throws -> Void) throws {
        try CommandFailure.reportingErrors {
            let guest = try open(target, writable: true)
            try body(guest.filesystem)
            try guest.close()
        }
    }

    /// A guest path typed on the command line. Escapes as `ls` prints them are understood (`\\`, `\n`, `\t`,
    /// `\xNN`), so any name `ls` shows can be given back.
    static func path(_ text: String) throws -> Ext4.GuestPath {
        try Ext4.GuestPath(bytes: GuestName(escaped: text).bytes)
    }

    /// Octal permission bits (`644`, `0755`, `4755`).
    static func mode(_ text: String) throws -> UInt16 {
        guard let value = UInt16(text, radix: 8), value <= 0o7777 else {
            throw ValidationError("mode must be octal permission bits up to 7777 (got '\(text)')")
        }
        return value
    }

    /// `UID:GID`, `UID:` or `:GID` (numbers).
    static func owner(_ text: String) throws -> (uid: UInt32?, gid: UInt32?) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        func number(_ part: Substring) throws -> UInt32? {
            if part.isEmpty { return nil }
            guard let value = UInt32(part) else {
                throw ValidationError("owner must be numeric UID:GID (got '\(text)')")
            }
            return value
        }
        guard parts.count == 2 || parts.count == 1 else { throw ValidationError("owner must be UID:GID") }
        let uid = try number(parts[0])
        let gid = parts.count == 2 ? try number(parts[1]) : nil
        guard uid != nil || gid != nil else { throw ValidationError("owner must name a UID or a GID") }
        return (uid, gid)
    }

    /// Seconds since 1970 as ISO 8601 UTC.
    static func time(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// Writes raw bytes to standard output.
    static func writeStandardOutput(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes))
    }

    /// A JSON-friendly form of one status.
    static func json(_ status: FileStatus, path: Ext4.GuestPath?, name: GuestName?) -> [String: Any] {
        var object: [String: Any] = [
            "inode": status.inode, "type": status.kind.rawValue, "mode": String(status.permissions, radix: 8),
            "uid": status.uid, "gid": status.gid, "size": status.size, "links": status.linkCount,
            "atime": status.accessTime, "mtime": status.modificationTime, "ctime": status.changeTime,
        ]
        if let path { object["path"] = path.description }
        if let name {
            object["name"] = name.display
            if name.utf8String == nil { object["nameHex"] = name.bytes.map { String(format: "%02x", $0) }.joined() }
        }
        if let target = status.linkTargetDisplay { object["target"] = target }
        return object
    }

    static func printJSON(_ value: Any) throws {
        let data = try JSONSerialization.data(
            withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }
}
