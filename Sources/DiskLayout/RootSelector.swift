public import BlockIO

/// Reads the `/etc/fstab` of `volume` (an ext2/3/4 logical volume of `disk`) and answers the line that mounts
/// `volume` itself at `/` (its device written as `/dev/mapper/VG-LV`, `/dev/VG/LV`, `UUID=` or `LABEL=` of this
/// volume), or `nil` when none does or the file cannot be read. Given to ``RootSelector`` by a layer that can
/// read files (rule 4b).
public typealias RootMountProbe = (_ volume: Volume, _ disk: PartitionedDisk) -> Int?

/// The volume chosen as the Linux root, and why.
public struct RootSelection {
    /// The chosen volume.
    public let volume: Volume
    /// Its device (a `SliceDevice` of the disk, or the disk when unpartitioned).
    public let device: any BlockDevice
    /// Why it was chosen, for reports ("the only ext4 partition", "chosen with --partition 3").
    public let reason: String
}

/// Chooses the volume that holds the Linux root filesystem, or says clearly why it cannot.
///
/// This layer cannot look inside files, so it ranks by what the partition table and libblkid say:
///
/// 1. `volume: VG/LV` or `partition: N` (1-based, like `/dev/sda1`; logical partitions from 5) overrides
///    everything; it must exist, fit inside the disk and not be an extended container (a logical volume must be
///    one vhdedit can open: linear or striped, all its physical volumes in the image).
/// 2. An unpartitioned disk is its own root when libblkid finds a Linux filesystem on it.
/// 3. Candidates are the volumes holding a Linux filesystem (`ext2/3/4`, `xfs`, `btrfs`, `f2fs`, `jfs`,
///    `reiserfs`) whose type code is not swap, LVM, RAID, EFI system, BIOS boot or extended, and that neither
///    overlap another partition nor run past the end of the disk; and the LVM2 logical volumes that hold one.
/// 4. Among them, demoted while any other candidate remains: `/boot`-like volumes (LABEL or GPT name `boot` or
///    `/boot`, GPT type Linux extended boot); GPT `/home`, `/srv`, `/var` types; volumes under
///    ``smallVolumeLimit`` when a larger candidate exists; logical volumes named for a data mount
///    (`home`, `var`, `usr`, `tmp`, `opt`, `srv`, `log`, `audit`, `swap`, also as `homelv`, `lv_home`, `home_lv`).
/// 4a. A single logical volume named like a root (`root`, `rootlv`, `lv_root`, `root_lv`, `ubuntu-lv`: Ubuntu's
///    `ubuntu-vg/ubuntu-lv`, RHEL-family `rootvg/rootlv`, Debian's and Fedora's `VG/root`) wins.
/// 4b. When a layer that can read files passes `fstab` (this one cannot: ImagePrep's `FstabRootProbe` reads
///    `/etc/fstab` with libext2fs and parses it with GuestConfig), each remaining ext2/3/4 logical volume is asked
///    whether its own fstab mounts it at `/` (at most ``maximumFstabProbes`` of them, in metadata order; more and
///    the rule is skipped). Exactly one that does wins; two or more are ``DiskLayoutError/Code/ambiguousRoot``
///    naming each with its fstab line, never a guess by order.
/// 5. A single candidate with a GPT "Linux root" type GUID wins.
/// 6. `ext*` ranks above the other Linux filesystems: if any candidate is `ext*`, only those remain.
/// 7. When LVM metadata on the disk cannot be read (a damaged PV, copies that disagree), no root is chosen
///    without `--partition` or `--volume`: the root may be in that volume group. Exactly one left: chosen. More: ``DiskLayoutError/Code/ambiguousRoot`` listing each (number, type, size,
///    label), never a silent guess. None: ``DiskLayoutError/Code/noRootCandidate`` saying what the disk holds
///    (and, when an LVM physical volume is present, that the root is probably inside LVM).
public enum RootSelector {
    /// Volumes smaller than this (200 MiB) are passed over when a larger candidate exists.
    public static let smallVolumeLimit: UInt64 = 200 << 20
    /// The most logical volumes whose `/etc/fstab` rule 4b reads; past it the rule is skipped (a group of
    /// thousands of volumes must not cost thousands of filesystem opens).
    public static let maximumFstabProbes = 16

    /// Chooses the root volume of `disk`, or the one numbered `partition`.
    ///
    /// - Parameters:
    ///   - disk: the disk as `PartitionedDisk.inspect(_:probeFilesystems:)` read it.
    ///   - partition: `--partition N`, chosen as it is.
    ///   - volume: `--volume VG/LV`, chosen as it is.
    ///   - fstab: asks a logical volume's own `/etc/fstab` whether it mounts that volume at `/` (rule 4b);
    ///     `nil` skips the rule.
    /// - Throws: ``DiskLayoutError`` with ``DiskLayoutError/Code/noSuchPartition``,
    ///   ``DiskLayoutError/Code/noRootCandidate`` or ``DiskLayoutError/Code/ambiguousRoot`` (its `candidates`
    ///   list the partition numbers to choose from).
    public static func select(
        in disk: PartitionedDisk, partition: Int? = nil, volume: LogicalVolumeName? = nil, fstab: RootMountProbe? = nil
    ) throws(DiskLayoutError) -> RootSelection {
        if let volume { return try explicit(volume, in: disk) }
        if let partition { return try explicit(partition, in: disk) }
        if disk.table.kind == .unpartitioned, !disk.logicalVolumes.contains(where: { isCandidate($0, disk: disk) }) {
            let whole = disk.volumes[0]
            guard let signature = whole.signature, signature.isLinuxFilesystem, let device = whole.device else {
                throw DiskLayoutError(
                    .noRootCandidate,
                    "the disk has no partition table and libblkid finds \(describe(whole.filesystem)) at offset 0")
            }
            return RootSelection(
                volume: whole, device: device, reason: "the disk is unpartitioned and holds \(signature.type)")
        }
        var candidates = (disk.volumes + disk.logicalVolumes).filter { isCandidate($0, disk: disk) }
        guard !candidates.isEmpty else { throw noCandidate(in: disk) }
        if let problem = disk.lvm.problems.first {
            // The root may be in the volume group that cannot be read: choosing another volume would be a guess.
            throw DiskLayoutError(
                .noRootCandidate,
                "LVM metadata on \(problem.location) cannot be read (\(problem.error)), and the root may be in it; "
                    + "choose a volume with --partition N or --volume VG/LV",
                candidates: candidates.compactMap(\.number))
        }
        var notes: [String] = []

        let main = candidates.filter { !looksLikeBoot($0) && $0.partition?.role != .linuxData && !looksLikeData($0) }
        if !main.isEmpty, main.count < candidates.count {
            notes.append("passed over /boot, /home, /srv, /var (and similar) volumes")
            candidates = main
        } else if main.isEmpty, let lvm = disk.volumes.first(where: isLVMOrRAID) {
            throw DiskLayoutError(
                .noRootCandidate,
                "the only Linux filesystems look like /boot or data volumes (\(candidates.map(summary).joined(separator: "; "))); "
                    + "the root is probably inside the \(containerName(lvm)) on \(lvm.displayName)\(lvmNote(disk)); "
                    + "choose a volume with --partition N or --volume VG/LV if one is the root",
                candidates: candidates.compactMap(\.number))
        }
        let rootNamed = candidates.filter(looksLikeRootVolume)
        if rootNamed.count == 1 {
            return selection(rootNamed[0], reason: "the only logical volume named like a root", notes: notes)
        }
        if let fstab, candidates.count > 1 {
            let asked = candidates.filter { $0.logicalVolume != nil && $0.signature?.isExt == true }
            if !asked.isEmpty, asked.count <= maximumFstabProbes {
                let claims = asked.compactMap { volume in fstab(volume, disk).map { (volume: volume, line: $0) } }
                if claims.count == 1 {
                    return selection(
                        claims[0].volume,
                        reason: "the only logical volume whose own /etc/fstab mounts it at / (line \(claims[0].line))",
                        notes: notes)
                }
                if claims.count > 1 {
                    let each = claims.map { "\($0.volume.logicalVolume!) (its /etc/fstab line \($0.line))" }
                    throw DiskLayoutError(
                        .ambiguousRoot,
                        "several logical volumes mount themselves at / in their own /etc/fstab: "
                            + each.joined(separator: "; ") + "; vhdedit does not choose between them by order: "
                            + "choose one with --volume VG/LV",
                        candidates: [])
                }
            }
        }
        let large = candidates.filter { $0.size >= smallVolumeLimit }
        if !large.isEmpty, large.count < candidates.count {
            notes.append("passed over partitions smaller than \(ByteSize.format(smallVolumeLimit))")
            candidates = large
        }
        let typedRoot = candidates.filter { $0.partition?.role == .linuxRoot }
        if typedRoot.count == 1 {
            return selection(typedRoot[0], reason: "the only partition with a GPT Linux root type", notes: notes)
        }
        let ext = candidates.filter { $0.signature?.isExt == true }
        if !ext.isEmpty, ext.count < candidates.count {
            notes.append(
                "ext2/3/4 ranked above \(Set(candidates.compactMap(\.signature?.type)).subtracting(["ext2", "ext3", "ext4"]).sorted().joined(separator: ", "))"
            )
            candidates = ext
        }
        if candidates.count == 1 {
            return selection(
                candidates[0], reason: "the only \(candidates[0].signature!.type) candidate", notes: notes)
        }
        throw DiskLayoutError(
            .ambiguousRoot,
            "several volumes could be the Linux root: \(candidates.map(summary).joined(separator: "; ")); "
                + "choose one with --partition N"
                + (candidates.contains { $0.logicalVolume != nil } ? " or --volume VG/LV" : ""),
            candidates: candidates.compactMap(\.number))
    }

    private static func selection(_ volume: Volume, reason: String, notes: [String]) -> RootSelection {
        let full = notes.reduce(reason) { $0 + "; " + $1 }
        return RootSelection(volume: volume, device: volume.device!, reason: full)
    }

    private static func explicit(_ number: Int, in disk: PartitionedDisk) throws(DiskLayoutError) -> RootSelection {
        let available = disk.volumes.filter { $0.device != nil }.compactMap(\.number)
        guard disk.table.kind != .unpartitioned else {
            throw DiskLayoutError(
                .noSuchPartition,
                "partition \(number) was asked for, but the disk has no partition table (it is one volume); "
                    + "omit --partition")
        }
        guard let volume = disk.volume(number: number) else {
            throw DiskLayoutError(
                .noSuchPartition,
                "there is no partition \(number); the disk has "
                    + (available.isEmpty
                        ? "none that can be opened" : "\(available.map(String.init).joined(separator: ", "))"),
                candidates: available)
        }
        guard let device = volume.device else {
            if let error = volume.openError { throw error }
            throw DiskLayoutError(
                .noSuchPartition, "partition \(number) is an extended partition (a container of logical ones)",
                offset: volume.partition?.entryOffset, candidates: available)
        }
        return RootSelection(volume: volume, device: device, reason: "chosen with --partition \(number)")
    }

    private static func explicit(
        _ name: LogicalVolumeName, in disk: PartitionedDisk
    ) throws(DiskLayoutError)
        -> RootSelection
    {
        let available = disk.logicalVolumes.compactMap { $0.logicalVolume?.description }
        guard let volume = disk.logicalVolume(name) else {
            var message = "there is no logical volume \(name); "
            message +=
                available.isEmpty
                ? "the image holds none vhdedit can see\(disk.lvm.problems.isEmpty ? "" : " (" + disk.lvm.problems.map(\.description).joined(separator: "; ") + ")")"
                : "it holds \(available.joined(separator: ", "))"
            throw DiskLayoutError(.noSuchVolume, message)
        }
        guard let device = volume.device else {
            throw volume.openError ?? DiskLayoutError(.noSuchVolume, "logical volume \(name) cannot be opened")
        }
        return RootSelection(volume: volume, device: device, reason: "chosen with --volume \(name)")
    }

    /// Whether a logical volume's name says it holds data mounted below the root (rule 4).
    static func looksLikeData(_ volume: Volume) -> Bool {
        guard let name = volume.logicalVolume.map({ baseName($0.volume) }) else { return false }
        return [
            "home", "var", "usr", "tmp", "opt", "srv", "log", "audit", "varlog", "varlogaudit", "vartmp", "swap",
            "data", "boot",
        ].contains(name)
    }

    /// Whether a logical volume's name says it is the root (rule 4a).
    static func looksLikeRootVolume(_ volume: Volume) -> Bool {
        guard let name = volume.logicalVolume else { return false }
        return baseName(name.volume) == "root" || name.volume == "ubuntu-lv"
    }

    /// The LV name without an `lv` marker: `rootlv`, `lv_root`, `root_lv`, `root-lv` are `root`.
    private static func baseName(_ name: String) -> String {
        var base = Substring(name.lowercased())
        for prefix in ["lv_", "lv-"] where base.hasPrefix(prefix) { base = base.dropFirst(prefix.count) }
        for suffix in ["_lv", "-lv", "lv"] where base.hasSuffix(suffix) && base.count > suffix.count {
            base = base.dropLast(suffix.count)
        }
        return String(base)
    }

    /// ", which vhdedit cannot open" or what keeps the logical volumes it found from being candidates.
    private static func lvmNote(_ disk: PartitionedDisk) -> String {
        let refused = disk.logicalVolumes.compactMap { volume in volume.openError.map { "\($0.message)" } }
        let problems = disk.lvm.problems.map(\.description)
        if refused.isEmpty, problems.isEmpty, disk.lvm.groups.isEmpty { return ", which vhdedit cannot open" }
        if refused.isEmpty, problems.isEmpty { return " (its logical volumes hold no Linux filesystem)" }
        return " (" + (refused + problems).joined(separator: "; ") + ")"
    }

    /// Whether a volume may hold the root (rule 3).
    static func isCandidate(_ volume: Volume, disk: PartitionedDisk) -> Bool {
        guard volume.device != nil, let signature = volume.signature, signature.isLinuxFilesystem else {
            return false
        }
        if let partition = volume.partition {
            // Arrays, not sets: a few elements, and no Hashable conformance lookup at run time.
            let excluded: [PartitionRole] = [
                .linuxSwap, .linuxLVM, .linuxRAID, .efiSystem, .biosBoot, .extended, .gptProtective,
            ]
            if excluded.contains(partition.role) { return false }
            let broken: [DiskLayoutWarning.Code] = [.overlap, .partitionPastEndOfDisk]
            if disk.table.warnings.contains(where: { $0.partition == partition.number && broken.contains($0.code) }) {
                return false
            }
        }
        return true
    }

    /// Whether a volume looks like a separate `/boot` (rule 4).
    static func looksLikeBoot(_ volume: Volume) -> Bool {
        let names = ["boot", "/boot"]
        if let label = volume.signature?.label?.lowercased(), names.contains(label) { return true }
        if let name = volume.partition?.name?.lowercased(), names.contains(name) { return true }
        return volume.partition?.role == .linuxBoot
    }

    private static func isLVMOrRAID(_ volume: Volume) -> Bool {
        let types: Set<String> = ["LVM2_member", "LVM1_member", "linux_raid_member"]
        return volume.signature.map { types.contains($0.type) } ?? false
            || volume.partition.map { $0.role == .linuxLVM || $0.role == .linuxRAID } ?? false
    }

    /// "LVM physical volume" or "RAID member", from the signature or else the type code.
    private static func containerName(_ volume: Volume) -> String {
        let raid = volume.signature?.type == "linux_raid_member" || volume.partition?.role == .linuxRAID
        let kind = raid ? "RAID member" : "LVM physical volume"
        return volume.signature.map { "\(kind) (\($0.type))" } ?? "\(kind) (by its partition type)"
    }

    private static func noCandidate(in disk: PartitionedDisk) -> DiskLayoutError {
        let holdings = disk.volumes.map { "\($0.displayName): \(describe($0.filesystem))" }
        var message =
            "no partition holds a Linux filesystem that could be the root ("
            + (holdings.isEmpty ? "the table is empty" : holdings.joined(separator: "; ")) + ")"
        if let lvm = disk.volumes.first(where: isLVMOrRAID) {
            message += "; the root is probably inside the \(containerName(lvm)) on \(lvm.displayName)\(lvmNote(disk))"
        }
        return DiskLayoutError(.noRootCandidate, message)
    }

    /// "partition 2 (ext4, 1.0 GiB, LABEL=root)".
    static func summary(_ volume: Volume) -> String {
        var parts = [volume.signature?.type ?? "unknown", ByteSize.format(volume.size)]
        if let label = volume.signature?.label, !label.isEmpty { parts.append("LABEL=\(label)") }
        return "\(volume.displayName) (\(parts.joined(separator: ", ")))"
    }

    static func describe(_ outcome: ProbeOutcome?) -> String {
        switch outcome {
        case .identified(let signature)?: signature.type
        case .ambiguous(let types)?: "several signatures (\(types.joined(separator: ", ")))"
        case .nothingFound?: "no filesystem"
        case nil: "nothing probed"
        }
    }
}
