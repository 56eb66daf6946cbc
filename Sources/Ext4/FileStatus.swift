/// The kind of a filesystem object, from its inode's mode.
public enum FileKind: String, Sendable, Codable, Hashable {
    case regular, directory, symlink, characterDevice, blockDevice, fifo, socket, unknown

    init(mode: UInt16) {
        switch mode & 0xF000 {
        case 0x8000: self = .regular
        case 0x4000: self = .directory
        case 0xA000: self = .symlink
        case 0x2000: self = .characterDevice
        case 0x6000: self = .blockDevice
        case 0x1000: self = .fifo
        case 0xC000: self = .socket
        default: self = .unknown
        }
    }

    init(direntType: UInt8) {
        switch direntType {
        case 1: self = .regular
        case 2: self = .directory
        case 3: self = .characterDevice
        case 4: self = .blockDevice
        case 5: self = .fifo
        case 6: self = .socket
        case 7: self = .symlink
        default: self = .unknown
        }
    }

    /// The character `ls -l` shows for this kind.
    public var lsCharacter: Character {
        switch self {
        case .regular: "-"
        case .directory: "d"
        case .symlink: "l"
        case .characterDevice: "c"
        case .blockDevice: "b"
        case .fifo: "p"
        case .socket: "s"
        case .unknown: "?"
        }
    }
}

/// What `stat`/`lstat` reports about one inode.
public struct FileStatus: Sendable, Hashable, Codable {
    /// The inode number.
    public var inode: UInt32
    /// Regular file, directory, symlink …
    public var kind: FileKind
    /// The permission bits, set-id bits and sticky bit (`mode & 0o7777`).
    public var permissions: UInt16
    /// The whole `i_mode`, type bits included.
    public var mode: UInt16
    /// The owner's numeric id.
    public var uid: UInt32
    /// The group's numeric id.
    public var gid: UInt32
    /// The size in bytes (for a symlink: the target's length).
    public var size: UInt64
    /// Hard links to the inode.
    public var linkCount: UInt16
    /// Last access, in seconds since 1970.
    public var accessTime: Int64
    /// Last change of the contents, in seconds since 1970.
    public var modificationTime: Int64
    /// Last change of the inode (mode, owner, links, contents), in seconds since 1970.
    public var changeTime: Int64
    /// The target of a symbolic link, as raw bytes (nil for other kinds).
    public var linkTarget: [UInt8]?

    /// The link target in the lossless escaped form of ``GuestName/display``.
    public var linkTargetDisplay: String? { linkTarget.map { Escaping.escape($0) } }

    /// `ls -l` style mode string, e.g. `-rw-r--r--`.
    public var modeString: String {
        var out = String(kind.lsCharacter)
        let p = permissions
        let bits: [(UInt16, Character)] = [
            (0o400, "r"), (0o200, "w"), (0o100, "x"), (0o040, "r"), (0o020, "w"), (0o010, "x"),
            (0o004, "r"), (0o002, "w"), (0o001, "x"),
        ]
        for (index, (bit, char)) in bits.enumerated() {
            var shown: Character = p & bit != 0 ? char : "-"
            if index == 2 && p & 0o4000 != 0 { shown = p & bit != 0 ? "s" : "S" }
            if index == 5 && p & 0o2000 != 0 { shown = p & bit != 0 ? "s" : "S" }
            if index == 8 && p & 0o1000 != 0 { shown = p & bit != 0 ? "t" : "T" }
            out.append(shown)
        }
        return out
    }
}

/// One entry of a directory listing.
public struct DirectoryEntry: Sendable, Hashable {
    /// The entry's name as stored.
    public var name: GuestName
    /// The entry's full guest path (through the listed path as given).
    public var path: GuestPath
    /// The inode the entry points to.
    public var inode: UInt32
    /// The entry's kind, from its inode.
    public var kind: FileKind
    /// The inode's status (lstat: links are not followed).
    public var status: FileStatus

    /// An entry with the given fields (``Ext4FileSystem/list(_:recursive:)`` makes them).
    public init(name: GuestName, path: GuestPath, inode: UInt32, kind: FileKind, status: FileStatus) {
        self.name = name
        self.path = path
        self.inode = inode
        self.kind = kind
        self.status = status
    }
}

/// Owner and mode for a file or directory an operation creates or replaces.
public struct WriteOptions: Sendable, Hashable {
    /// Permission bits (`0o7777` at most). nil: keep the existing file's, or 0o644 for a new file
    /// (0o755 for a directory).
    public var mode: UInt16?
    /// Owner. nil: keep the existing file's, or root (0) for a new file.
    public var uid: UInt32?
    /// Group. nil: keep the existing file's, or root (0) for a new file.
    public var gid: UInt32?

    /// Options; nil fields mean "keep, or the default".
    public init(mode: UInt16? = nil, uid: UInt32? = nil, gid: UInt32? = nil) {
        self.mode = mode
        self.uid = uid
        self.gid = gid
    }
}
