/// What a partition's type code says it is for, across MBR type bytes and GPT type GUIDs.
///
/// The type code is only a hint (the filesystem libblkid finds is what counts), but it lets
/// ``RootSelector`` leave out swap, EFI, LVM and RAID partitions and prefer a GPT "Linux root" type.
public enum PartitionRole: String, Sendable, Codable, CaseIterable {
    /// A Linux filesystem (MBR `0x83`, GPT Linux filesystem data).
    case linuxFilesystem
    /// A GPT Discoverable Partitions "root" type for some architecture.
    case linuxRoot
    /// GPT Linux `/home`, `/srv`, `/var` and similar.
    case linuxData
    /// Linux extended boot (XBOOTLDR, `/boot`).
    case linuxBoot
    /// Linux swap (MBR `0x82`, GPT swap).
    case linuxSwap
    /// An LVM physical volume (MBR `0x8E`, GPT LVM).
    case linuxLVM
    /// A Linux software RAID member (MBR `0xFD`, GPT Linux RAID).
    case linuxRAID
    /// The EFI system partition (MBR `0xEF`, GPT EFI system).
    case efiSystem
    /// GRUB's BIOS boot partition (GPT only).
    case biosBoot
    /// A Windows / FAT / NTFS data partition (MBR `0x07`, `0x0B`, `0x0C`, `0x0E`, `0x06`; GPT basic data).
    case windowsData
    /// An MBR extended partition: a container of logical partitions, never a filesystem.
    case extended
    /// The `0xEE` MBR entry protecting a GPT.
    case gptProtective
    /// A type we have no name for.
    case other
}
