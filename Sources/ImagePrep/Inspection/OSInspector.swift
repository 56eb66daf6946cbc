import DiskLayout
import GuestConfig

/// Finds out what a guest is, from its files only: distribution, architecture, bootloader, network style,
/// agents, fstab, swap and LVM.
///
/// Every fact is read through ``GuestFiles`` (symlinks followed inside the guest), so the same code inspects an
/// image, a staged plan, or an in-memory tree in tests.
public struct OSInspector {
    /// The guest's files.
    public let files: any GuestFiles
    /// The disk's partitions and filesystems, to resolve fstab ids and find swap and LVM partitions.
    public let disk: DiskFacts?

    /// An inspector of `files`, resolving fstab names against `disk` when given.
    public init(files: any GuestFiles, disk: DiskFacts? = nil) {
        self.files = files
        self.disk = disk
    }

    /// Inspects the guest.
    public func inspect() throws(ImagePrepError) -> GuestInspection {
        let systemd = try detectSystemd()
        let fstab = try readFstab()
        return GuestInspection(
            distribution: try distribution(), architecture: try architecture(),
            bootloaderFiles: try bootloaderFiles(), networkStyles: try networkStyles(), agents: try agents(),
            networkManagerInstalled: try anyExists(["/usr/sbin/NetworkManager", "/usr/bin/NetworkManager"]),
            systemd: systemd, fstab: fstab, swap: try swapAreas(fstab), lvm: try lvm(),
            provisionedUser: try ProvisionedUser.find(files))
    }

    func anyExists(_ paths: [String]) throws(ImagePrepError) -> Bool {
        for path in paths where try files.exists(path) { return true }
        return false
    }

    // MARK: distribution

    /// The distribution from os-release, then the older release files.
    public func distribution() throws(ImagePrepError) -> Distribution {
        for path in ["/etc/os-release", "/usr/lib/os-release"] {
            if let text = try files.readText(path, limit: 64 << 10) {
                let release = OSRelease(text)
                if let id = release.values["ID"]?.lowercased() {
                    let like = release.idLike.map { $0.lowercased() }
                    return Distribution(
                        id: id, version: release.versionID, family: Self.family(id: id, like: like),
                        name: release.values["PRETTY_NAME"] ?? release.values["NAME"], source: path)
                }
            }
        }
        for (path, id) in [
            ("/etc/centos-release", "centos"), ("/etc/oracle-release", "ol"), ("/etc/fedora-release", "fedora"),
            ("/etc/redhat-release", "rhel"),
        ] {
            if let text = try files.readText(path, limit: 64 << 10) {
                let line = ConfigText(text).contents.first ?? ""
                var foundID = id
                if id == "rhel", line.lowercased().hasPrefix("centos") { foundID = "centos" }
                return Distribution(
                    id: foundID, version: Self.version(after: "release", in: line), family: .rhel,
                    name: line.trimmingSpaces, source: path)
            }
        }
        if let text = try files.readText("/etc/SuSE-release", limit: 64 << 10) {
            let lines = ConfigText(text).contents
            let first = lines.first ?? ""
            var version: String?
            var patch: String?
            for line in lines {
                let parts = line.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces }
                if parts.count == 2, parts[0] == "VERSION" { version = parts[1] }
                if parts.count == 2, parts[0] == "PATCHLEVEL" { patch = parts[1] }
            }
            let id = first.lowercased().contains("opensuse") ? "opensuse" : "sles"
            return Distribution(
                id: id, version: version.map { v in patch.map { "\(v).\($0)" } ?? v }, family: .suse,
                name: first.trimmingSpaces, source: "/etc/SuSE-release")
        }
        if let text = try files.readText("/etc/lsb-release", limit: 64 << 10) {
            let values = ShellVariableFile(text)
            if let id = values.value(of: "DISTRIB_ID")?.lowercased() {
                return Distribution(
                    id: id, version: values.value(of: "DISTRIB_RELEASE"), family: Self.family(id: id, like: []),
                    name: values.value(of: "DISTRIB_DESCRIPTION"), source: "/etc/lsb-release")
            }
        }
        if let text = try files.readText("/etc/debian_version", limit: 4096) {
            let version = text.trimmingSpaces.split(separator: "\n").first.map(String.init)
            return Distribution(
                id: "debian", version: version, family: .debian, name: "Debian \(version ?? "")",
                source: "/etc/debian_version")
        }
        if try files.exists("/etc/arch-release") {
            return Distribution(
                id: "arch", version: nil, family: .arch, name: "Arch Linux", source: "/etc/arch-release")
        }
        return Distribution(id: "unknown", version: nil, family: .generic, name: nil, source: nil)
    }

    static func family(id: String, like: [String]) -> Distribution.Family {
        func of(_ name: String) -> Distribution.Family? {
            switch name {
            case "rhel", "centos", "fedora", "ol", "rocky", "almalinux", "scientific", "amzn", "mariner", "azurelinux":
                return .rhel
            case "debian", "ubuntu", "devuan", "raspbian": return .debian
            case "sles", "sled", "suse", "opensuse", "opensuse-leap", "opensuse-tumbleweed": return .suse
            case "arch", "manjaro": return .arch
            default: return name.hasPrefix("opensuse") ? .suse : nil
            }
        }
        if let direct = of(id) { return direct }
        for name in like { if let found = of(name) { return found } }
        return .generic
    }

    static func version(after word: String, in line: String) -> String? {
        let words = line.words
        guard let index = words.firstIndex(where: { $0.lowercased() == word }), index + 1 < words.count else {
            return nil
        }
        return words[index + 1]
    }

    // MARK: architecture

    /// The architecture from the ELF header of the init binary (`/sbin/init`, else systemd).
    public func architecture() throws(ImagePrepError) -> Architecture? {
        for candidate in ["/sbin/init", "/usr/lib/systemd/systemd", "/lib/systemd/systemd", "/bin/sh"] {
            guard let resolved = try files.resolve(candidate), try files.lstat(resolved)?.type == .regular else {
                continue
            }
            guard let header = ELFHeader(parsing: try files.readPrefix(resolved, count: ELFHeader.size)) else {
                continue
            }
            return Architecture(machine: header.machineName, bits: header.bits, path: resolved)
        }
        return nil
    }

    func detectSystemd() throws(ImagePrepError) -> Bool {
        if let initPath = try files.resolve("/sbin/init"), initPath.hasSuffix("/systemd") { return true }
        return try anyExists(["/usr/lib/systemd/systemd", "/lib/systemd/systemd"])
    }

    // MARK: bootloader

    /// The bootloader configuration files present, symlinks resolved, each once.
    public func bootloaderFiles() throws(ImagePrepError) -> [BootloaderFile] {
        var found: [BootloaderFile] = []
        func add(_ kind: BootloaderFile.Kind, _ path: String) throws(ImagePrepError) {
            guard let resolved = try files.resolve(path), try files.lstat(resolved)?.type == .regular,
                !found.contains(where: { $0.path == resolved })
            else { return }
            found.append(BootloaderFile(kind: kind, path: resolved))
        }
        for location in BootloaderFileKind.catalogue {
            for path in location.isPattern ? try files.glob(location.path) : [location.path] {
                if let wanted = location.mustContain {
                    guard let text = try files.readText(path, limit: 64 << 10), text.contains(wanted) else { continue }
                }
                try add(location.kind, path)
            }
        }
        return found
    }

    // MARK: network

    /// The network configuration styles present.
    public func networkStyles() throws(ImagePrepError) -> [String] {
        var styles: [String] = []
        let redHat = try files.glob("/etc/sysconfig/network-scripts/ifcfg-*")
        let suse = try files.glob("/etc/sysconfig/network/ifcfg-*")
        let ifcfg = redHat + suse
        if ifcfg.contains(where: { !$0.hasSuffix("ifcfg-lo") }) { styles.append("ifcfg") }
        if let text = try files.readText("/etc/network/interfaces", limit: 1 << 20),
            ConfigText(text).contents.contains(where: {
                $0.trimmingSpaces.hasPrefix("iface") && !$0.words.contains("lo")
            })
        {
            styles.append("ifupdown")
        }
        let netplan = try files.glob("/etc/netplan/*.yaml") + (try files.glob("/etc/netplan/*.yml"))
        if !netplan.isEmpty {
            styles.append("netplan")
        }
        if try anyExists(["/usr/sbin/wicked", "/etc/wicked"]) { styles.append("wicked") }
        if try !files.glob("/etc/NetworkManager/system-connections/*").isEmpty {
            styles.append("networkmanager-keyfile")
        }
        if try !files.glob("/etc/systemd/network/*.network").isEmpty { styles.append("systemd-networkd") }
        return styles
    }

    // MARK: agents

    /// WALinuxAgent and cloud-init, with versions where a file says them.
    public func agents() throws(ImagePrepError) -> [Agent] {
        var agents: [Agent] = []
        for program in ["/usr/sbin/waagent", "/usr/bin/waagent", "/usr/share/oem/bin/waagent"]
        where try files.exists(program) {
            var agent = Agent(name: "WALinuxAgent", path: program)
            let patterns = [
                "/usr/lib/python*/site-packages", "/usr/lib/python*/dist-packages",
                "/usr/lib64/python*/site-packages", "/usr/local/lib/python*/site-packages",
                "/usr/local/lib/python*/dist-packages", "/usr/share/oem/python/lib*/python*/site-packages",
            ]
            search: for pattern in patterns {
                let plain = try files.glob(pattern + "/azurelinuxagent/common/version.py")
                let eggs = try files.glob(pattern + "/WALinuxAgent-*/azurelinuxagent/common/version.py")
                for file in plain + eggs.sorted().reversed() {
                    if let version = try Self.assignedString("AGENT_VERSION", in: files.readText(file, limit: 1 << 20))
                    {
                        agent.version = version
                        agent.versionSource = file
                        break search
                    }
                }
            }
            if agent.version == nil, let script = try files.readText(program, limit: 2 << 20),
                let range = script.firstRange(of: "WALinuxAgent-")
            {
                let tail = script[range.upperBound...].prefix(while: { $0.isNumber || $0 == "." })
                if !tail.isEmpty { agent.version = String(tail); agent.versionSource = program }
            }
            agents.append(agent)
            break
        }
        for program in ["/usr/bin/cloud-init", "/usr/local/bin/cloud-init"] where try files.exists(program) {
            var agent = Agent(name: "cloud-init", path: program)
            var candidates: [String] = []
            for pattern in ["/usr/lib/python3*/site-packages", "/usr/lib/python3*/dist-packages"] {
                candidates += try files.glob(pattern + "/cloudinit/version.py")
            }
            for file in candidates {
                if let version = try Self.assignedString("__VERSION__", in: files.readText(file, limit: 1 << 20)) {
                    agent.version = version
                    agent.versionSource = file
                    break
                }
            }
            agents.append(agent)
            break
        }
        return agents
    }

    /// The string literal assigned to `name` in Python source (`NAME = '1.2'` or `"1.2"`).
    static func assignedString(_ name: String, in text: String?) -> String? {
        guard let text else { return nil }
        for line in ConfigText(text).contents {
            let trimmed = line.trimmingSpaces
            guard trimmed.hasPrefix(name) else { continue }
            let rest = trimmed.dropFirst(name.count).drop(while: { $0 == " " })
            guard rest.first == "=" else { continue }
            let value = rest.dropFirst().drop(while: { $0 == " " })
            guard let quote = value.first, quote == "'" || quote == "\"" else { continue }
            let body = value.dropFirst()
            if let end = body.firstIndex(of: quote) { return String(body[..<end]) }
        }
        return nil
    }

    // MARK: fstab, swap, LVM

    /// The `/etc/fstab` entries (as GuestConfig's `FilesystemTable` reads them), each resolved against the
    /// disk's filesystems.
    public func readFstab() throws(ImagePrepError) -> [FstabEntry] {
        guard let text = try files.readText("/etc/fstab", limit: 1 << 20) else { return [] }
        return FilesystemTable(text).entries.map { line in
            var entry = FstabEntry(
                line: line.line, spec: line.spec, mountPoint: line.mountPoint, type: line.type,
                options: line.optionsText, naming: "device", resolves: nil, partition: nil)
            resolve(&entry, device: line.device)
            return entry
        }
    }

    static let pseudoTypes: Set<String> = [
        "proc", "sysfs", "tmpfs", "devpts", "devtmpfs", "none", "cgroup", "cgroup2", "securityfs", "debugfs",
        "hugetlbfs", "mqueue", "binfmt_misc", "configfs", "fusectl", "pstore", "efivarfs", "nfs", "nfs4", "cifs",
        "autofs", "rpc_pipefs", "usbfs",
    ]

    /// Sets how `entry` names its device (`device`, its first field as ``FilesystemTable`` classified it) and
    /// whether a filesystem of the disk matches.
    func resolve(_ entry: inout FstabEntry, device: FilesystemTable.DeviceSpec) {
        let spec = entry.spec
        func lower(_ s: String?) -> String? { s?.lowercased() }
        let partitions = disk?.partitions ?? []
        let volumes = (disk?.logicalVolumes ?? []).filter { $0.refused == nil }
        func match(
            _ naming: String, _ value: String, _ key: (PartitionFacts) -> String?,
            volume: (LogicalVolumeFacts) -> String? = { _ in nil }
        ) {
            entry.naming = naming
            guard disk != nil else { return }
            let found = partitions.first { lower(key($0)) == value.lowercased() }
            let lv = found == nil ? volumes.first { lower(volume($0)) == value.lowercased() } : nil
            entry.resolves = found != nil || lv != nil
            entry.partition = found?.number
            entry.volume = lv?.path
        }
        if Self.pseudoTypes.contains(entry.type) || (!spec.hasPrefix("/") && !spec.contains("=")) {
            entry.naming = "pseudo"
            return
        }
        var path = ""
        switch device {
        case .uuid(let value): return match("uuid", value, { $0.filesystem?.uuid }, volume: { $0.filesystem?.uuid })
        case .label(let value): return match("label", value, { $0.filesystem?.label }, volume: { $0.filesystem?.label })
        case .partUUID(let value): return match("partuuid", value) { $0.partUUID }
        case .partLabel:
            entry.naming = "partlabel"
            return
        case .path(let text), .other(let text): path = text
        }
        if let value = Self.value(path, after: "/dev/disk/by-uuid/") {
            match("uuid", value, { $0.filesystem?.uuid }, volume: { $0.filesystem?.uuid })
        } else if let value = Self.value(path, after: "/dev/disk/by-label/") {
            match("label", value, { $0.filesystem?.label }, volume: { $0.filesystem?.label })
        } else if let value = Self.value(path, after: "/dev/disk/by-id/dm-uuid-") {
            match("device", value, { _ in nil }, volume: { $0.deviceMapperUUID })
        } else if let value = Self.value(path, after: "/dev/disk/by-partuuid/") {
            match("partuuid", value) { $0.partUUID }
        } else if path.hasPrefix("/dev/"), let name = LogicalVolumeName(devicePath: path) {
            // /dev/mapper/VG-LV or /dev/VG/LV: resolves when the disk holds that LV.
            entry.naming = "device"
            if disk?.logicalVolumes != nil {
                let lv = volumes.first { $0.path == name.description }
                entry.resolves = lv != nil
                entry.volume = lv?.path
            }
        } else if path.hasPrefix("/dev/") {
            entry.naming = "device"
            if disk != nil, let number = Self.partitionNumber(ofDevice: path) {
                let found = partitions.first { $0.number == number }
                entry.resolves = found != nil
                entry.partition = found?.number
            }
        } else {
            entry.naming = entry.type == "swap" ? "file" : "device"
        }
    }

    static func value(_ spec: String, after prefix: String) -> String? {
        spec.hasPrefix(prefix) ? String(spec.dropFirst(prefix.count)).replacingQuotes : nil
    }

    /// `/dev/sda2`, `/dev/vda2`, `/dev/xvda2`, `/dev/hda2` → 2 (`/dev/nvme0n1p2` → 2).
    static func partitionNumber(ofDevice path: String) -> Int? {
        let name = PathText.name(path)
        let digits = String(name.reversed().prefix(while: \.isNumber).reversed())
        guard !digits.isEmpty else { return nil }
        let stem = name.dropLast(digits.count)
        let known = ["sda", "vda", "xvda", "hda"]
        if known.contains(String(stem)) || (stem.hasPrefix("nvme") && stem.hasSuffix("p")) { return Int(digits) }
        return nil
    }

    /// Swap partitions, fstab swap entries and swap files.
    public func swapAreas(_ fstab: [FstabEntry]) throws(ImagePrepError) -> [SwapArea] {
        var areas: [SwapArea] = []
        for partition in disk?.partitions ?? [] where partition.isSwap || partition.filesystem?.type == "swap" {
            areas.append(SwapArea(kind: "partition", location: String(partition.number)))
        }
        for entry in fstab where entry.type == "swap" {
            areas.append(SwapArea(kind: entry.naming == "file" ? "file" : "fstab", location: entry.spec))
        }
        for path in ["/swapfile", "/swap.img", "/swap"] where try files.lstat(path)?.type == .regular {
            if !areas.contains(where: { $0.location == path }) { areas.append(SwapArea(kind: "file", location: path)) }
        }
        return areas
    }

    func lvm() throws(ImagePrepError) -> LVMUsage {
        LVMUsage(
            physicalVolumes: (disk?.partitions ?? []).filter { $0.isLVM || $0.filesystem?.type == "LVM2_member" }
                .map(\.number),
            toolsInstalled: try files.exists("/etc/lvm/lvm.conf"),
            systemDevicesFile: try files.exists("/etc/lvm/devices/system.devices"))
    }

    /// `UserName` from the agent's `ovf-env.xml`.
    public func provisionedUser(libDir: String = "/var/lib/waagent") throws(ImagePrepError) -> String? {
        guard let xml = try files.readText(libDir + "/ovf-env.xml", limit: 1 << 20) else { return nil }
        return Self.xmlElement("UserName", in: xml)
    }

    /// The text of the first element named `name` (any namespace prefix).
    static func xmlElement(_ name: String, in xml: String) -> String? {
        var rest = Substring(xml)
        while let open = rest.firstRange(of: "<") {
            rest = rest[open.upperBound...]
            let tag = rest.prefix(while: { $0 != ">" && $0 != " " && $0 != "/" })
            let local = tag.split(separator: ":").last.map(String.init) ?? ""
            guard local == name, let close = rest.firstIndex(of: ">") else { continue }
            let body = rest[rest.index(after: close)...]
            guard let end = body.firstIndex(of: "<") else { return nil }
            let value = String(body[..<end]).trimmingSpaces
            return value.isEmpty ? nil : value
        }
        return nil
    }
}

extension String {
    var replacingQuotes: String { filter { $0 != "\"" && $0 != "'" } }
}
