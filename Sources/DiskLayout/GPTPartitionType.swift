/// A GPT partition type GUID with its name (the names `sgdisk -L` and systemd's Discoverable Partitions
/// Specification use).
public struct GPTPartitionType: Hashable, Sendable {
    /// The type GUID.
    public let guid: GUID

    /// The type with this GUID (named when it is a known one).
    public init(_ guid: GUID) { self.guid = guid }

    /// The name, or `"unknown"`.
    public var name: String { Self.known[guid]?.name ?? "unknown" }

    /// What the type says the partition is for.
    public var role: PartitionRole { Self.known[guid]?.role ?? .other }

    /// An unused entry (all-zero type GUID).
    public var isUnused: Bool { guid.isZero }

    private static let table: [(String, String, PartitionRole)] = [
        ("0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux filesystem", .linuxFilesystem),
        ("0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "Linux swap", .linuxSwap),
        ("E6D6D379-F507-44C2-A23C-238F2A3DF928", "Linux LVM", .linuxLVM),
        ("A19D880F-05FC-4D3B-A006-743F0F84911E", "Linux RAID", .linuxRAID),
        ("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI system partition", .efiSystem),
        ("21686148-6449-6E6F-744E-656564454649", "BIOS boot partition", .biosBoot),
        ("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "Microsoft basic data", .windowsData),
        ("E3C9E316-0B5C-4DB8-817D-F92DF00215AE", "Microsoft reserved", .other),
        ("DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", "Windows recovery environment", .other),
        ("933AC7E1-2EB4-4F13-B844-0E14E2AEF915", "Linux /home", .linuxData),
        ("3B8F8425-20E0-4F3B-907F-1A25A76F98E8", "Linux /srv", .linuxData),
        ("4D21B016-B534-45C2-A9FB-5C16E091FD53", "Linux /var", .linuxData),
        ("7EC6F557-3BC5-4ACA-B293-16EF5DF639D1", "Linux /var/tmp", .linuxData),
        ("773F91EF-66D4-49B5-BD83-D683BF40AD16", "Linux /home (per-user)", .linuxData),
        ("BC13C2FF-59E6-4262-A352-B275FD6F7172", "Linux extended boot (/boot)", .linuxBoot),
        ("8DA63339-0007-60C0-C436-083AC8230908", "Linux reserved", .other),
        ("CA7D7CCB-63ED-4C53-861C-1742536059CC", "Linux LUKS", .other),
        ("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", "Linux root (x86-64)", .linuxRoot),
        ("44479540-F297-41B2-9AF7-D131D5F0458A", "Linux root (x86)", .linuxRoot),
        ("B921B045-1DF0-41C3-AF44-4C6F280D3FAE", "Linux root (ARM64)", .linuxRoot),
        ("69DAD710-2CE4-4E3C-B16C-21A1D49ABED3", "Linux root (ARM)", .linuxRoot),
        ("993D8D3D-F80E-4225-855A-9DAF8ED7EA97", "Linux root (IA-64)", .linuxRoot),
        ("6523F8AE-3EB1-4E2A-A05A-18B695AE656F", "Linux root (RISC-V 64)", .linuxRoot),
        ("912ADE1D-A839-4913-8964-A10EEE08FBD2", "Linux root (PowerPC 64 LE)", .linuxRoot),
        ("8484680C-9521-48C6-9C11-B0720656F69E", "Linux /usr (x86-64)", .linuxData),
        ("B0E01050-EE5F-4390-949A-9101B17104E9", "Linux /usr (ARM64)", .linuxData),
        ("516E7CB6-6ECF-11D6-8FF8-00022D09712B", "FreeBSD data", .other),
        ("48465300-0000-11AA-AA11-00306543ECAC", "Apple HFS/HFS+", .other),
        ("6A898CC3-1DD2-11B2-99A6-080020736631", "Solaris /usr & Apple ZFS", .other),
    ]

    private static let known: [GUID: (name: String, role: PartitionRole)] = {
        var map: [GUID: (name: String, role: PartitionRole)] = [:]
        for (text, name, role) in table { map[GUID(text)!] = (name, role) }
        return map
    }()
}
