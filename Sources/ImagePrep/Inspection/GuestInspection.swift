public import GuestConfig

/// What ``OSInspector`` found in a guest: distribution, architecture, bootloader, network style, agents,
/// fstab, swap and LVM. Codable: `vhdedit inspect --json` prints it.
public struct GuestInspection: Codable, Sendable, Equatable {
    /// The distribution, as its release files say.
    public var distribution: Distribution
    /// The architecture of the guest's binaries, when one could be read.
    public var architecture: Architecture?
    /// The bootloader configuration files, symlinks resolved, each once.
    public var bootloaderFiles: [BootloaderFile]
    /// The bootloader kinds present (`grub-legacy`, `grub2`, `bls`).
    public var bootloaders: [BootloaderFile.Kind] {
        var kinds: [BootloaderFile.Kind] = []
        for file in bootloaderFiles where !kinds.contains(file.kind.loader) { kinds.append(file.kind.loader) }
        return kinds
    }
    /// Network configuration styles found (`ifcfg`, `ifupdown`, `netplan`, `wicked`, `networkmanager-keyfile`,
    /// `systemd-networkd`).
    public var networkStyles: [String]
    /// The provisioning agents installed (WALinuxAgent, cloud-init), with their versions.
    public var agents: [Agent]
    /// Whether NetworkManager is installed.
    public var networkManagerInstalled: Bool
    /// Whether systemd is the init system (`/sbin/init` leads to systemd, or systemd is installed).
    public var systemd: Bool
    /// The entries of `/etc/fstab`, each resolved against the image's filesystems.
    public var fstab: [FstabEntry]
    /// The swap partitions and swap files the guest uses.
    public var swap: [SwapArea]
    /// How the guest uses LVM2.
    public var lvm: LVMUsage
    /// The user provisioned by the agent (`UserName` in `/var/lib/waagent/ovf-env.xml`).
    public var provisionedUser: String?

    /// The agent named `name`, when installed.
    public func agent(_ name: String) -> Agent? { agents.first { $0.name == name } }
}

/// A distribution, as its release files say.
public struct Distribution: Codable, Sendable, Equatable {
    /// The families whose preparation steps differ.
    public enum Family: String, Codable, Sendable {
        case rhel, debian, suse, arch, generic
    }
    /// `centos`, `rhel`, `ubuntu`, `debian`, `sles`, `opensuse-leap`... (os-release `ID` spelling).
    public var id: String
    /// `6.10`, `18.04`, `11.4`...
    public var version: String?
    /// The family whose preparation steps apply.
    public var family: Family
    /// A human name (`CentOS release 6.10 (Final)`).
    public var name: String?
    /// The file it was read from.
    public var source: String?

    /// The major version number, when the version starts with one.
    public var majorVersion: Int? { version.flatMap { Int($0.prefix(while: \.isNumber)) } }
    /// The version as numbers (`18.04` → [18, 4]).
    public var versionNumbers: [Int] { (version ?? "").split(separator: ".").compactMap { Int($0) } }
}

/// The guest's machine architecture, from the ELF header of its init binary.
public struct Architecture: Codable, Sendable, Equatable {
    /// `x86_64`, `aarch64`, `i386`, `arm`, `ppc64le`, `riscv64`, `s390x`, or `machine-0xNN`.
    public var machine: String
    /// 32 or 64.
    public var bits: Int
    /// The binary read (symlinks resolved).
    public var path: String
}

/// A bootloader configuration file.
public struct BootloaderFile: Codable, Sendable, Equatable {
    /// The kinds of bootloader files: GuestConfig's `BootloaderFileKind`, one set of names for the
    /// inspection, the checks and the editors.
    public typealias Kind = BootloaderFileKind
    /// What kind of bootloader file it is.
    public var kind: Kind
    /// The guest path, symlinks resolved.
    public var path: String
}

/// An installed agent.
public struct Agent: Codable, Sendable, Equatable {
    /// `WALinuxAgent` or `cloud-init`.
    public var name: String
    /// The program found.
    public var path: String
    /// The version, when a file says it.
    public var version: String?
    /// The file the version was read from.
    public var versionSource: String?
}

/// One `/etc/fstab` entry and whether it resolves to a filesystem of the image.
public struct FstabEntry: Codable, Sendable, Equatable {
    /// 1-based line number in `/etc/fstab`.
    public var line: Int
    /// The device field as written (`UUID=…`, `LABEL=my\040root`, `/dev/sda1`).
    public var spec: String
    /// The mount point field as written.
    public var mountPoint: String
    /// The filesystem type field.
    public var type: String
    /// The mount options field.
    public var options: String
    /// How the spec names its device: `uuid`, `label`, `partuuid`, `partlabel`, `device` (a `/dev` path),
    /// `file` (a swap file), `pseudo` (proc, tmpfs...).
    public var naming: String
    /// Whether a filesystem of the image matches (`nil` when that cannot apply: pseudo filesystems, files).
    public var resolves: Bool?
    /// The partition it resolves to.
    public var partition: Int?
    /// The LVM2 logical volume (`VG/LV`) it resolves to.
    public var volume: String?
}

/// A swap area on the OS disk.
public struct SwapArea: Codable, Sendable, Equatable {
    /// `partition`, `fstab` (a swap line) or `file`.
    public var kind: String
    /// The partition number, fstab spec or file path.
    public var location: String
}

/// LVM on the OS disk.
public struct LVMUsage: Codable, Sendable, Equatable {
    /// Partitions that are LVM physical volumes.
    public var physicalVolumes: [Int]
    /// Whether `/etc/lvm/lvm.conf` exists (LVM tools installed).
    public var toolsInstalled: Bool
    /// Whether `/etc/lvm/devices/system.devices` exists.
    public var systemDevicesFile: Bool
}
