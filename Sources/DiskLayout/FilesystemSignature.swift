/// What libblkid says a volume holds: the values `blkid -p -o export` prints.
public struct FilesystemSignature: Hashable, Sendable, Codable {
    /// `TYPE`: `ext4`, `xfs`, `btrfs`, `swap`, `LVM2_member`, `vfat`, `ntfs`, `linux_raid_member`, …
    public var type: String
    /// `SEC_TYPE`: a compatible type (`ext2` for a journal-less ext3, `msdos` for FAT12/16).
    public var secondaryType: String?
    /// `UUID`.
    public var uuid: String?
    /// `LABEL`.
    public var label: String?
    /// `VERSION` (e.g. `1.0` for ext4, `FAT32`, `LVM2 001`).
    public var version: String?
    /// `USAGE`: `filesystem`, `other` (swap), `raid` (LVM, md), `crypto`.
    public var usage: String?

    /// A signature with the values libblkid reported.
    public init(
        type: String, secondaryType: String? = nil, uuid: String? = nil, label: String? = nil,
        version: String? = nil, usage: String? = nil
    ) {
        self.type = type
        self.secondaryType = secondaryType
        self.uuid = uuid
        self.label = label
        self.version = version
        self.usage = usage
    }

    /// The Linux filesystems a root can be on.
    public static var linuxFilesystemTypes: Set<String> { Set(linuxFilesystemTypeNames) }

    /// The same names, best first within ``RootSelector``'s ranking (an array: checking one needs no Hashable
    /// conformance lookup at run time).
    static let linuxFilesystemTypeNames = [
        "ext4", "ext3", "ext2", "xfs", "btrfs", "f2fs", "jfs", "reiserfs", "bcachefs",
    ]

    /// `ext2`, `ext3` or `ext4` (what the Ext4 layer can open).
    public var isExt: Bool { ["ext2", "ext3", "ext4"].contains(type) }

    /// A filesystem a Linux root can live on.
    public var isLinuxFilesystem: Bool { Self.linuxFilesystemTypeNames.contains(type) }
}

/// The outcome of probing one volume.
public enum ProbeOutcome: Hashable, Sendable {
    /// One filesystem (or other signature such as swap or an LVM physical volume).
    case identified(FilesystemSignature)
    /// No known signature (empty, unformatted, or unknown).
    case nothingFound
    /// Several signatures that exclude each other (leftovers of an earlier format); libblkid refuses to choose,
    /// and so do we. The types found are listed.
    case ambiguous([String])

    /// The signature, when exactly one was found.
    public var signature: FilesystemSignature? {
        if case .identified(let signature) = self { return signature }
        return nil
    }
}
