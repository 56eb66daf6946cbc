import ArgumentParser
import FoundationEssentials
import Glibc
import VHDEditKit

/// Shared pieces of the file commands (`ls`, `cat`, `stat`, `get`, `put`, `rm`, `mkdir`, `symlink`, `chmod`,
/// `chown`, `edit`): opening the guest filesystem, parsing guest paths, printing names.
enum GuestCommand {
    /// Opens the image's root filesystem (or `--partition N`), printing its warnings to standard error.
    static func open(_ target: ImageOptions, writable: Bool) throws -> GuestImage {
        try open(image: target.image, partition: target.partition, volume: target.volume, writable: writable)
    }

    /// Opens `image`'s root filesystem (or partition `partition`), printing its warnings to standard error.
    static func open(image: String, partition: Int?, volume: String? = nil, writable: Bool) throws -> GuestImage {
        let guest = try GuestImage.open(path: image, writable: writable, partition: partition, volume: volume)
        for warning in guest.warnings { CommandFailure.printError("vhdedit: warning: \(warning)") }
        return guest
    }

    /// Opens the guest writable, runs `body`, and writes everything back.
    static func edit(_ target: ImageOptions, _ body: (Ext4FileSystem) throws -> Void) throws {
        try CommandFailure.reportingErrors {
            GuestSandbox.armForWriting()
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
    static func mode(_ text: String) throws(ValidationError) -> UInt16 {
        guard let value = UInt16(text, radix: 8), value <= 0o7777 else {
            throw ValidationError("mode must be octal permission bits up to 7777 (got '\(text)')")
        }
        return value
    }

    /// `UID:GID`, `UID:` or `:GID` (numbers).
    static func owner(_ text: String) throws(ValidationError) -> (uid: UInt32?, gid: UInt32?) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        func number(_ part: Substring) throws(ValidationError) -> UInt32? {
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
    static func time(_ seconds: Int64) -> String { UTCTime.iso8601(seconds) }

    /// Writes raw bytes to standard output.
    static func writeStandardOutput(_ bytes: [UInt8]) {
        StandardStreams.write(bytes, to: 1)
    }

    /// A JSON-friendly form of one status.
    static func json(_ status: FileStatus, path: Ext4.GuestPath?, name: GuestName?) -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "inode": .integer(Int64(status.inode)), "type": .string(status.kind.rawValue),
            "mode": .string(String(status.permissions, radix: 8)),
            "uid": .integer(Int64(status.uid)), "gid": .integer(Int64(status.gid)), "size": .unsigned(status.size),
            "links": .integer(Int64(status.linkCount)), "atime": .integer(status.accessTime),
            "mtime": .integer(status.modificationTime), "ctime": .integer(status.changeTime),
        ]
        if let path { object["path"] = .string(path.description) }
        if let name {
            object["name"] = .string(name.display)
            if name.utf8String == nil { object["nameHex"] = .string(hex(name.bytes)) }
        }
        if let target = status.linkTargetDisplay { object["target"] = .string(target) }
        return object
    }

    /// Lower-case hexadecimal, two digits a byte.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return text
    }
}

/// A JSON value built by a command (what `[String: Any]` and `JSONSerialization` carried before), and the
/// check that a child's output is JSON.
enum JSONValue: Codable, Equatable {
    case string(String)
    case integer(Int64)
    case unsigned(UInt64)
    case number(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])
    case null

    /// Whether this is an object or an array (what a command prints with `--json`).
    var isContainer: Bool {
        switch self {
        case .object, .array: return true
        default: return false
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .unsigned(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(UInt64.self) {
            self = .unsigned(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}
