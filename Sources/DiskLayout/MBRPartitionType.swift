/// An MBR partition type byte with its conventional name (as `sfdisk -T` lists them).
public struct MBRPartitionType: Hashable, Sendable {
    /// The type byte.
    public let code: UInt8

    /// The type of this byte (named when it is a known one).
    public init(_ code: UInt8) { self.code = code }

    /// The byte in lower-case hex without leading zeros, the way `sfdisk --json` prints it (`"83"`, `"c"`).
    public var hex: String { String(code, radix: 16) }

    /// The conventional name, or `"unknown"`.
    public var name: String { Self.names[code] ?? "unknown" }

    /// What the type says the partition is for.
    public var role: PartitionRole {
        switch code {
        case 0x83: .linuxFilesystem
        case 0x82: .linuxSwap
        case 0x8E: .linuxLVM
        case 0xFD: .linuxRAID
        case 0xEF: .efiSystem
        case 0xEE: .gptProtective
        case 0x05, 0x0F, 0x85: .extended
        case 0x01, 0x04, 0x06, 0x07, 0x0B, 0x0C, 0x0E, 0x11, 0x14, 0x16, 0x17, 0x1B, 0x1C, 0x1E, 0x27: .windowsData
        case 0xEA: .linuxBoot
        default: .other
        }
    }

    /// Whether this entry is an extended partition (DOS `0x05`, LBA `0x0F`, Linux `0x85`).
    public var isExtended: Bool { role == .extended }

    /// An unused entry.
    public var isEmpty: Bool { code == 0 }

    private static let names: [UInt8: String] = [
        0x00: "Empty", 0x01: "FAT12", 0x04: "FAT16 <32M", 0x05: "Extended", 0x06: "FAT16",
        0x07: "HPFS/NTFS/exFAT", 0x0B: "W95 FAT32", 0x0C: "W95 FAT32 (LBA)", 0x0E: "W95 FAT16 (LBA)",
        0x0F: "W95 Ext'd (LBA)", 0x11: "Hidden FAT12", 0x14: "Hidden FAT16 <32M", 0x16: "Hidden FAT16",
        0x17: "Hidden HPFS/NTFS", 0x1B: "Hidden W95 FAT32", 0x1C: "Hidden W95 FAT32 (LBA)",
        0x1E: "Hidden W95 FAT16 (LBA)", 0x27: "Hidden NTFS WinRE", 0x42: "SFS", 0x81: "Minix / old Linux",
        0x82: "Linux swap / Solaris", 0x83: "Linux", 0x85: "Linux extended", 0x86: "NTFS volume set",
        0x87: "NTFS volume set", 0x88: "Linux plaintext", 0x8E: "Linux LVM", 0xA5: "FreeBSD", 0xA6: "OpenBSD",
        0xA8: "Darwin UFS", 0xA9: "NetBSD", 0xAF: "HFS / HFS+", 0xBE: "Solaris boot", 0xBF: "Solaris",
        0xDA: "Non-FS data", 0xEA: "Linux extended boot", 0xEE: "GPT", 0xEF: "EFI (FAT-12/16/32)",
        0xFB: "VMware VMFS", 0xFC: "VMware VMKCORE", 0xFD: "Linux raid autodetect",
    ]
}
