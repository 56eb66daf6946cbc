import GuestConfig

/// One requirement's verdict, with the evidence (a guest path and line, or the VHD field) behind it.
public struct CheckResult: Codable, Sendable, Equatable {
    /// How a requirement came out, from best to worst.
    public enum Verdict: String, Codable, Sendable, Comparable {
        case pass, warn, fail
        /// Orders verdicts from `pass` to `fail`.
        public static func < (a: Verdict, b: Verdict) -> Bool {
            let order: [Verdict] = [.pass, .warn, .fail]
            return order.firstIndex(of: a)! < order.firstIndex(of: b)!
        }
    }
    /// A stable id (`vhd.fixed`, `boot.kernel-args`...).
    public var id: String
    /// How the requirement came out.
    public var verdict: Verdict
    /// What the requirement is.
    public var requirement: String
    /// What was found: the value and where.
    public var evidence: String
    /// The guest path (or `vhd`), when there is one.
    public var path: String?
    /// The 1-based line in `path`.
    public var line: Int?

    /// A verdict on requirement `id`, with its evidence and, when there is one, the guest path and line.
    public init(
        _ id: String, _ verdict: Verdict, _ requirement: String, _ evidence: String, path: String? = nil,
        line: Int? = nil
    ) {
        self.id = id
        self.verdict = verdict
        self.requirement = requirement
        self.evidence = evidence
        self.path = path
        self.line = line
    }

    /// One line for a terminal.
    public var text: String {
        var location = ""
        if let path { location = " (\(path)\(line.map { ":\($0)" } ?? ""))" }
        return "\(verdict.rawValue.uppercased().padding(5)) \(id.padding(24)) \(evidence)\(location)"
    }
}

/// The readiness report of one image: every verdict, and whether the image passes (nothing failed).
public struct ReadinessReport: Codable, Sendable, Equatable {
    /// The image's path.
    public var image: String
    /// Every verdict, in check order.
    public var results: [CheckResult]
    /// True when no requirement failed.
    public var passed: Bool { !results.contains { $0.verdict == .fail } }
    /// The requirements that failed.
    public var failures: [CheckResult] { results.filter { $0.verdict == .fail } }

    /// A report of `results` for `image`.
    public init(image: String, results: [CheckResult]) {
        self.image = image
        self.results = results
    }

    /// Every verdict's line, then the summary line (`ready` or `NOT ready`, with the counts).
    public var text: String {
        let counts = Dictionary(grouping: results, by: \.verdict).mapValues(\.count)
        return
            (results.map(\.text) + [
                "\(image): \(passed ? "ready" : "NOT ready") — \(counts[.pass] ?? 0) pass, \(counts[.warn] ?? 0) warn, \(counts[.fail] ?? 0) fail"
            ]).joined(separator: "\n")
    }
}

/// Checks an image against Azure's requirements for a Linux image (shared/docs/generalize.md §b), offline:
/// the VHD container, the disk layout, and every guest check that can be decided from files.
public struct ReadinessChecker {
    /// The guest's files.
    public let files: any GuestFiles
    /// The container and partition facts; nil for checks of a guest tree alone.
    public let disk: DiskFacts?
    /// What the guest is.
    public let inspection: GuestInspection

    /// A checker over `files`, with the disk's facts (when there is a disk) and the guest's inspection.
    public init(files: any GuestFiles, disk: DiskFacts?, inspection: GuestInspection) {
        self.files = files
        self.disk = disk
        self.inspection = inspection
    }

    static let mib: UInt64 = 1 << 20

    /// The verdicts for the VHD container and the partition table (§b 1–7, 9).
    public static func diskResults(_ disk: DiskFacts) -> [CheckResult] {
        var results: [CheckResult] = []
        let fixed = disk.format == "vhd-fixed"
        results.append(
            CheckResult(
                "vhd.fixed", fixed ? .pass : .fail, "a fixed VHD (not dynamic, differencing, raw or VHDX)",
                "format \(disk.format)", path: "vhd"))
        if disk.savedState == true {  // listed only when set: the flag is rare, and clear on every image vhdedit writes
            results.append(
                CheckResult(
                    "vhd.saved-state", .fail, "not the disk of a saved virtual machine (VHD footer saved_state clear)",
                    "saved_state is set: the machine was saved, not shut down; resume and shut it down, or convert a copy",
                    path: "vhd"))
        }
        let whole = disk.virtualSize % mib == 0
        results.append(
            CheckResult(
                "vhd.size-mib", whole ? .pass : .fail, "virtual size a whole number of MiB",
                "virtual size \(disk.virtualSize) bytes"
                    + (whole
                        ? " (\(disk.virtualSize / mib) MiB)"
                        : " (\(disk.virtualSize % mib) bytes past \(disk.virtualSize / mib) MiB)"),
                path: "vhd"))
        if fixed {
            let expected = disk.virtualSize + 512
            results.append(
                CheckResult(
                    "vhd.file-length", disk.fileLength == expected ? .pass : .fail,
                    "file length = virtual size + 512 (the footer)",
                    "file is \(disk.fileLength) bytes, expected \(expected)", path: "vhd"))
        }
        let min: UInt64 = 20 * 1_000_000, max: UInt64 = 1023 << 30
        results.append(
            CheckResult(
                "vhd.size-bounds", disk.virtualSize >= min && disk.virtualSize <= max ? .pass : .fail,
                "virtual size between 20 MB and 1023 GiB", "\(disk.virtualSize) bytes", path: "vhd"))
        if let first = disk.partitions.min(by: { $0.start < $1.start }) {
            results.append(
                CheckResult(
                    "disk.first-partition", first.start >= mib ? .pass : .fail,
                    "first partition starts at 1 MiB or later",
                    "partition \(first.number) starts at byte \(first.start)"))
        } else {
            results.append(
                CheckResult(
                    "disk.first-partition", .warn, "first partition starts at 1 MiB or later",
                    "no partition table: the filesystem starts at byte 0"))
        }
        let swap = disk.partitions.filter { $0.isSwap || $0.filesystem?.type == "swap" }
        results.append(
            CheckResult(
                "disk.swap-partition", swap.isEmpty ? .pass : .fail, "no swap partition on the OS disk",
                swap.isEmpty ? "none" : "swap on partition \(swap.map { String($0.number) }.joined(separator: ", "))"))
        let linux = disk.partitions.filter { p in
            ["ext2", "ext3", "ext4", "xfs", "btrfs"].contains(p.filesystem?.type ?? "")
        }
        results.append(
            CheckResult(
                "disk.single-root", linux.count <= 1 ? .pass : .warn, "a single root partition (recommended)",
                "\(linux.count) Linux filesystem partition\(linux.count == 1 ? "" : "s")"))
        results.append(lvmResult(disk))
        return results
    }

    /// `disk.lvm`: whether the LVM2 volume groups on the OS disk can be read and opened from this disk alone.
    /// Fails when metadata cannot be read or an LV has extents on a PV that is not on this disk (the OS disk
    /// is not self-contained); warns for LVs vhdedit does not open (thin, raid, ...) or a PV without a
    /// readable group; passes when every LV opens.
    public static func lvmResult(_ disk: DiskFacts) -> CheckResult {
        let requirement = "LVM on the OS disk is self-contained and readable (every logical volume opens)"
        let pvs = disk.partitions.filter { $0.isLVM || $0.filesystem?.type == "LVM2_member" }
        let wholeDiskPV = disk.partitionTable == "none" && !(disk.logicalVolumes ?? []).isEmpty
        guard !pvs.isEmpty || wholeDiskPV || disk.logicalVolumes != nil else {
            return CheckResult("disk.lvm", .pass, requirement, "no LVM")
        }
        let volumes = disk.logicalVolumes ?? []
        let problems = disk.lvmProblems ?? []
        let missing = volumes.filter { $0.refused?.contains("not in this image") == true }
        let refused = volumes.filter { $0.refused != nil && !missing.contains($0) }
        var evidence: [String] = []
        let pvPlaces =
            wholeDiskPV ? "the whole disk" : "partition \(pvs.map { String($0.number) }.joined(separator: ", "))"
        evidence.append("physical volumes on \(pvPlaces)")
        if !volumes.isEmpty {
            evidence.append(
                "logical volumes: "
                    + volumes.map { lv in
                        var text = lv.path
                        if lv.path == disk.rootVolume { text += " (root)" }
                        if let type = lv.filesystem?.type { text += " \(type)" }
                        if let reason = lv.refused { text += " not opened: \(reason)" }
                        return text
                    }.joined(separator: "; "))
        }
        evidence += problems
        let status: CheckResult.Verdict
        if !problems.isEmpty || !missing.isEmpty {
            status = .fail
        } else if !refused.isEmpty || volumes.isEmpty {
            status = .warn
            if volumes.isEmpty { evidence.append("no volume group could be read") }
        } else {
            status = .pass
        }
        return CheckResult("disk.lvm", status, requirement, evidence.joined(separator: "; "))
    }

    /// Every verdict.
    public func check(image: String) throws(ImagePrepError) -> ReadinessReport {
        var results = disk.map(Self.diskResults) ?? []
        results += try guestResults()
        return ReadinessReport(image: image, results: results)
    }

    /// The guest verdicts (§b 6, 8–11, 15–19, 21–35 as far as files decide them).
    public func guestResults() throws(ImagePrepError) -> [CheckResult] {
        var results: [CheckResult] = []
        try results += bootResults()
        results += fstabResults()
        try results += agentResults()
        try results += sshResults()
        try results += stateResults()
        try results += networkResults()
        try results += networkManagerProfileResults()
        try results += platformResults()
        try results += kernelResults()
        try results += initramfsResults()
        try results += secretResults()
        try results += checklistResults()
        return results
    }

    /// Services, modules, EFI fallback, cloud-init datasource, Python and OpenSSL (§b 13, 14, 18–20).
    func platformResults() throws(ImagePrepError) -> [CheckResult] {
        var results: [CheckResult] = []
        // Boot-time enablement: systemd wants-links, SysV rc links or upstart jobs.
        func enabled(_ names: [String]) throws(ImagePrepError) -> String? {
            for name in names {
                for pattern in [
                    "/etc/systemd/system/*.wants/\(name).service", "/etc/rc.d/rc3.d/S*\(name)", "/etc/rc3.d/S*\(name)",
                    "/etc/init.d/rc3.d/S*\(name)", "/etc/init/\(name).conf",
                ] {
                    if let found = try files.glob(pattern).first { return found }
                }
            }
            return nil
        }
        if inspection.agent("WALinuxAgent") != nil {
            let found = try enabled(["waagent", "walinuxagent"])
            results.append(
                CheckResult(
                    "service.agent", found == nil ? .warn : .pass, "the agent starts at boot",
                    found.map { "enabled by \($0)" } ?? "no wants-link, rc link or upstart job found", path: found))
        }
        let sshd = try enabled(["sshd", "ssh"])
        results.append(
            CheckResult(
                "service.sshd", sshd == nil ? .warn : .pass, "sshd starts at boot",
                sshd.map { "enabled by \($0)" } ?? "no wants-link, rc link or upstart job found", path: sshd))
        // udf and vfat must not be disabled.
        let cloudInit = inspection.agent("cloud-init")
        let newCloudInit = cloudInit?.version.map { !Version.less($0, than: [21, 2]) } ?? false
        for path in try files.glob("/etc/modprobe.d/*.conf") {
            guard let text = try files.readText(path, limit: 1 << 20) else { continue }
            for command in ModprobeConfig(text).disabling(["udf", "vfat"]) {
                let verdict: CheckResult.Verdict = command.module == "udf" && newCloudInit ? .warn : .fail
                results.append(
                    CheckResult(
                        "modules.\(command.module)", verdict,
                        "\(command.module) not disabled (the provisioning ISO is UDF; boot needs vfat)",
                        command.text, path: path, line: command.line))
            }
        }
        // Gen2 fallback loader, when the EFI tree is on this filesystem.
        if try files.lstat("/boot/efi/EFI")?.type == .directory {
            let lower = try files.exists("/boot/efi/EFI/boot")
            let upper = try files.exists("/boot/efi/EFI/BOOT")
            let fallback = lower || upper
            results.append(
                CheckResult(
                    "boot.efi-fallback", fallback ? .pass : .warn,
                    "an EFI fallback loader in /boot/efi/EFI/boot (Gen2)",
                    fallback ? "present" : "missing", path: "/boot/efi/EFI"))
        }
        // cloud-init's datasource list includes Azure.
        if cloudInit != nil {
            var last: (path: String, line: Int, text: String)?
            for path in ["/etc/cloud/cloud.cfg"] + (try files.glob("/etc/cloud/cloud.cfg.d/*.cfg")) {
                guard let text = try files.readText(path, limit: 1 << 20) else { continue }
                for (index, line) in ConfigText(text).contents.enumerated()
                where line.trimmingSpaces.hasPrefix("datasource_list") {
                    last = (path, index + 1, line.trimmingSpaces)
                }
            }
            if let last {
                let ok = last.text.contains("Azure")
                results.append(
                    CheckResult(
                        "cloud-init.datasource", ok ? .pass : .fail, "cloud-init's datasource_list includes Azure",
                        last.text, path: last.path, line: last.line))
            }
        }
        // Python (the agent's interpreter) and OpenSSL.
        var python = try files.glob("/usr/bin/python*").first
        if python == nil { python = try files.glob("/usr/libexec/platform-python*").first }
        results.append(
            CheckResult(
                "os.python", python == nil ? .warn : .pass, "Python 2.6 or later (the agent's interpreter)",
                python.map { "found \($0)" } ?? "no /usr/bin/python*", path: python))
        let openssl = try files.glob("/usr/bin/openssl").first
        results.append(
            CheckResult(
                "os.openssl", openssl == nil ? .warn : .pass, "OpenSSL 0.9.8 or later",
                openssl == nil ? "no /usr/bin/openssl" : "found", path: openssl))
        return results
    }

    func bootResults() throws(ImagePrepError) -> [CheckResult] {
        var results: [CheckResult] = []
        if let arch = inspection.architecture {
            let ok = arch.bits == 64 && ["x86_64", "aarch64"].contains(arch.machine)
            results.append(
                CheckResult(
                    "os.architecture", ok ? .pass : .fail, "64-bit OS (x86_64 or arm64)", "\(arch.machine) ELF",
                    path: arch.path))
        } else {
            results.append(
                CheckResult(
                    "os.architecture", .warn, "64-bit OS (x86_64 or arm64)", "no ELF init binary found",
                    path: "/sbin/init"))
        }
        let files = inspection.bootloaderFiles
        let rootDelay = try rootDelayDecision()
        let required = requiredKernelArguments(rootDelay)
        results += try rootDelayResults(rootDelay)
        if files.isEmpty {
            results.append(
                CheckResult(
                    "boot.kernel-args", .fail,
                    "console=ttyS0 earlyprintk=ttyS0 rootdelay=300 on the kernel command line",
                    "no bootloader configuration found"))
        }
        for file in files {
            guard let text = try self.files.readText(file.path) else { continue }
            let lines = file.kind.commandLines(of: text, path: file.path).map { ($0.line, $0.words) }
            if lines.isEmpty {
                results.append(
                    CheckResult(
                        "boot.kernel-args", .warn, "kernel arguments for Azure", "no kernel command line in the file",
                        path: file.path))
            }
            for (line, words) in lines {
                let missing = required.filter { !BootloaderEdit.contains(words, $0) }
                results.append(
                    CheckResult(
                        "boot.kernel-args", missing.isEmpty ? .pass : .fail,
                        required.joined(separator: " ") + " on the kernel command line",
                        missing.isEmpty ? "present" : "missing \(missing.joined(separator: " "))", path: file.path,
                        line: line))
                let flagged = words.filter { ["rhgb", "quiet", "crashkernel=auto"].contains($0) }
                if !flagged.isEmpty {
                    results.append(
                        CheckResult(
                            "boot.flags", .warn, "no rhgb, quiet, crashkernel=auto (recommended)",
                            "has \(flagged.joined(separator: " "))", path: file.path, line: line))
                }
            }
        }
        return results
    }

    func fstabResults() -> [CheckResult] {
        var results: [CheckResult] = []
        for entry in inspection.fstab {
            if entry.type == "swap" {
                results.append(
                    CheckResult(
                        "swap.fstab", .fail, "no swap on the OS disk", "swap entry \(entry.spec)", path: "/etc/fstab",
                        line: entry.line))
            }
            if entry.naming == "device" {
                let unstable =
                    entry.spec.hasPrefix("/dev/sd") || entry.spec.hasPrefix("/dev/nvme")
                    || entry.spec.hasPrefix("/dev/hd") || entry.spec.hasPrefix("/dev/vd")
                    || entry.spec.hasPrefix("/dev/xvd")
                results.append(
                    CheckResult(
                        "fstab.persistent-ids", unstable ? .fail : .pass, "fstab uses UUID=, LABEL= or PARTUUID=",
                        "\(entry.mountPoint) is mounted from \(entry.spec)", path: "/etc/fstab", line: entry.line))
            } else if ["uuid", "label", "partuuid"].contains(entry.naming) {
                let verdict: CheckResult.Verdict = entry.resolves == false ? .fail : .pass
                results.append(
                    CheckResult(
                        "fstab.resolves", verdict, "every fstab entry resolves to a filesystem in the image",
                        entry.resolves == nil
                            ? "\(entry.spec) (not resolved: no disk facts)"
                            : entry.resolves!
                                ? "\(entry.spec) is "
                                    + (entry.volume.map { "logical volume \($0)" }
                                        ?? "partition \(entry.partition ?? 0)")
                                : "\(entry.spec) matches no filesystem of the image",
                        path: "/etc/fstab", line: entry.line))
            }
        }
        for area in inspection.swap where area.kind == "file" && !area.location.hasPrefix("/dev") {
            results.append(
                CheckResult(
                    "swap.file", .warn, "no swap file on the OS disk (Ubuntu doc)", "swap file \(area.location)",
                    path: area.location))
        }
        if !inspection.lvm.physicalVolumes.isEmpty, inspection.lvm.systemDevicesFile {
            results.append(
                CheckResult(
                    "lvm.system-devices", .warn, "no /etc/lvm/devices/system.devices on an LVM image", "present",
                    path: "/etc/lvm/devices/system.devices"))
        }
        return results
    }

    func agentResults() throws(ImagePrepError) -> [CheckResult] {
        var results: [CheckResult] = []
        let settings = try AgentSettings.read(from: files)
        if let agent = inspection.agent("WALinuxAgent") {
            if let version = agent.version {
                let old = Version.less(version, than: AzurePreparer.minimumAgentVersion)
                results.append(
                    CheckResult(
                        "agent.version", old ? .fail : .pass, "WALinuxAgent 2.2.41 or later", "version \(version)",
                        path: agent.versionSource))
            } else {
                results.append(
                    CheckResult(
                        "agent.version", .warn, "WALinuxAgent 2.2.41 or later", "installed, version not readable",
                        path: agent.path))
            }
        } else {
            results.append(
                CheckResult(
                    "agent.installed", .fail, "WALinuxAgent installed", "no waagent program", path: "/usr/sbin/waagent")
            )
        }
        if let path = settings.path {
            let off = !settings.autoUpdateEnabled
            results.append(
                CheckResult(
                    "agent.auto-update", off ? .fail : .pass, "AutoUpdate.Enabled not n",
                    "AutoUpdate.Enabled=\(settings.value("AutoUpdate.Enabled") ?? "(absent: y)")", path: path,
                    line: settings.line("AutoUpdate.Enabled")))
            if inspection.agent("cloud-init") != nil {
                let agentOK =
                    ["auto", "cloud-init"].contains(settings.provisioningAgent)
                    || settings.value("Provisioning.UseCloudInit")?.lowercased() == "y"
                let ok = agentOK && !settings.resourceDiskFormat && !settings.resourceDiskEnableSwap
                results.append(
                    CheckResult(
                        "agent.cloud-init-conf", ok ? .pass : .fail,
                        "with cloud-init: Provisioning.Agent auto, ResourceDisk.Format=n, ResourceDisk.EnableSwap=n",
                        "Provisioning.Agent=\(settings.provisioningAgent), Format=\(settings.resourceDiskFormat ? "y" : "n"), EnableSwap=\(settings.resourceDiskEnableSwap ? "y" : "n")",
                        path: path))
            }
        }
        return results
    }

    func sshResults() throws(ImagePrepError) -> [CheckResult] {
        var results: [CheckResult] = []
        let path = "/etc/ssh/sshd_config"
        if let text = try files.readText(path) {
            if let found = SshdKeepAlive.clientAliveInterval(text) {
                let ok = found.value.map { (30...235).contains($0) } ?? false
                results.append(
                    CheckResult(
                        "ssh.client-alive", ok ? .pass : .fail, "ClientAliveInterval 30–235 (180 recommended)",
                        "ClientAliveInterval \(found.value.map(String.init) ?? "?")", path: path, line: found.line))
            } else {
                results.append(
                    CheckResult(
                        "ssh.client-alive", .fail, "ClientAliveInterval 30–235 (180 recommended)",
                        "not set in the global section", path: path))
            }
        } else {
            results.append(
                CheckResult(
                    "ssh.client-alive", .warn, "ClientAliveInterval 30–235 (180 recommended)", "no sshd_config",
                    path: path))
        }
        results.append(try hostKeyResult())
        return results
    }

    func stateResults() throws(ImagePrepError) -> [CheckResult] {
        var results: [CheckResult] = []
        // Shell history of root and every user with a home.
        var histories = ["/root/.bash_history"]
        if let passwd = try files.readText("/etc/passwd") {
            for line in ConfigText(passwd).contents {
                let fields = line.split(separator: ":", omittingEmptySubsequences: false)
                if fields.count > 5, fields[5].hasPrefix("/home/") {
                    histories.append(String(fields[5]) + "/.bash_history")
                }
            }
        }
        var big: [String] = []
        for path in Set(histories).sorted() {
            if let info = try files.lstat(path), info.type == .regular, info.size > 1024 {
                big.append("\(path) (\(info.size) bytes)")
            }
        }
        results.append(
            CheckResult(
                "history.size", big.isEmpty ? .pass : .fail, "shell history at most 1 KB for root and every user",
                big.isEmpty ? "all within 1 KB" : big.joined(separator: ", "),
                path: big.isEmpty ? nil : String(big[0].split(separator: " ")[0])))
        // Root password.
        if let shadow = try files.readText("/etc/shadow") {
            let has = Accounts.rootHasPassword(shadow)
            let line = ConfigText(shadow).contents.firstIndex { $0.hasPrefix("root:") }.map { $0 + 1 }
            results.append(
                CheckResult(
                    "root.password", has ? .fail : .pass, "no password hash for root",
                    has ? "root has a password hash" : "root's password is locked or empty-locked", path: "/etc/shadow",
                    line: line))
        }
        // Agent state and provisioned user.
        let settings = try AgentSettings.read(from: files)
        var leftovers: [String] = []
        for name in [
            "ovf-env.xml", "provisioned", "Certificates.pem", "SharedConfig.xml", "HostingEnvironmentConfig.xml",
        ] {
            if try files.exists(settings.libDir + "/" + name) { leftovers.append(name) }
        }
        leftovers += try files.glob(settings.libDir + "/*.crt").map(PathText.name)
        leftovers += try files.glob(settings.libDir + "/*.prv").map(PathText.name)
        leftovers += try files.glob(settings.libDir + "/GoalState.*.xml").map(PathText.name)
        results.append(
            CheckResult(
                "agent.state", leftovers.isEmpty ? .pass : .fail, "no provisioning state in \(settings.libDir)",
                leftovers.isEmpty ? "clean" : leftovers.sorted().joined(separator: ", "), path: settings.libDir))
        for path in [settings.sudoersDir + "/waagent"] {
            if let text = try files.readText(path),
                ConfigText(text).contents.contains(where: { !$0.trimmingSpaces.isEmpty && !$0.hasPrefix("#") })
            {
                results.append(
                    CheckResult(
                        "user.provisioned", .fail, "the provisioned user is removed with its sudoers line",
                        "sudo rule left: \(ConfigText(text).contents.first ?? "")", path: path, line: 1))
            }
        }
        if try files.exists(settings.sudoersDir + "/90-cloud-init-users") {
            results.append(
                CheckResult(
                    "user.cloud-init-sudoers", .warn, "no /etc/sudoers.d/90-cloud-init-users from the build VM",
                    "present", path: settings.sudoersDir + "/90-cloud-init-users"))
        }
        // Leases.
        var leases: [String] = []
        for folder in ["/var/lib/dhclient", "/var/lib/dhcpcd", "/var/lib/dhcp"] {
            if let resolved = try files.resolve(folder), try files.lstat(resolved)?.type == .directory {
                leases += try files.listDirectory(resolved).map { PathText.join(folder, $0) }
            }
        }
        leases += try files.glob("/var/lib/NetworkManager/dhclient-*.lease")
        results.append(
            CheckResult(
                "dhcp.leases", leases.isEmpty ? .pass : .fail, "no DHCP leases of the build VM",
                leases.isEmpty ? "none" : leases.joined(separator: ", "), path: leases.first))
        // Machine id.
        let etc = "/etc/machine-id"
        var machineVerdict = CheckResult(
            "machine-id", .pass, "machine-id empty, uninitialized or absent", "absent", path: etc)
        if let text = try files.readText(etc, limit: 4096) {
            let value = text.trimmingSpaces.trimmingCharacters("\n")
            let generic = value.isEmpty || value == "uninitialized"
            machineVerdict = CheckResult(
                "machine-id", generic ? .pass : .fail, "machine-id empty, uninitialized or absent",
                generic ? "'\(value)'" : "set to \(value): every clone would share it", path: etc, line: 1)
        }
        results.append(machineVerdict)
        if try files.lstat("/var/lib/dbus/machine-id")?.type == .regular,
            let value = try files.readText("/var/lib/dbus/machine-id", limit: 4096)?.trimmingSpaces.trimmingCharacters(
                "\n"), !value.isEmpty
        {
            results.append(
                CheckResult(
                    "machine-id.dbus", .warn, "no fixed dbus machine id", "set to \(value)",
                    path: "/var/lib/dbus/machine-id", line: 1))
        }
        // cloud-init instance state.
        let cloudDir = try files.exists("/var/lib/cloud")
        if inspection.agent("cloud-init") != nil || cloudDir {
            var state: [String] = []
            if try files.exists("/var/lib/cloud/instance") { state.append("/var/lib/cloud/instance") }
            state += try files.glob("/var/lib/cloud/instances/*")
            results.append(
                CheckResult(
                    "cloud-init.state", state.isEmpty ? .pass : .fail,
                    "no cloud-init instance state (cloud-init clean)",
                    state.isEmpty ? "clean" : state.joined(separator: ", "), path: state.first))
        }
        // Logs (a warning).
        var logs: [String] = []
        for path in ["/var/log/waagent.log", "/var/log/cloud-init.log"] where try files.exists(path) {
            logs.append(path)
        }
        results.append(
            CheckResult(
                "logs", logs.isEmpty ? .pass : .warn, "logs of the build VM cleaned (recommended)",
                logs.isEmpty ? "clean" : logs.joined(separator: ", "), path: logs.first))
        return results
    }

    func networkResults() throws(ImagePrepError) -> [CheckResult] {
        var results: [CheckResult] = []
        let udev = "/etc/udev/rules.d/70-persistent-net.rules"
        let hasUdev = try files.exists(udev)
        results.append(
            CheckResult(
                "udev.persistent-net", hasUdev ? .fail : .pass, "no 70-persistent-net.rules (MAC-pinned names)",
                hasUdev ? "present" : "absent", path: udev))
        for path in try files.glob("/etc/sysconfig/network-scripts/ifcfg-*") {
            guard let text = try files.readText(path) else { continue }
            let file = ShellVariableFile(text)
            if let mac = file.value(of: "HWADDR") {
                results.append(
                    CheckResult(
                        "net.hwaddr", .fail, "no HWADDR= in ifcfg files", "HWADDR=\(mac)", path: path,
                        line: file.lineNumber(of: "HWADDR")))
            }
            if PathText.name(path) == "ifcfg-eth0" {
                let v6 = file.value(of: "IPV6INIT")
                results.append(
                    CheckResult(
                        "net.ipv6", v6?.lowercased() == "no" ? .pass : .warn, "IPV6INIT=no on eth0 (seed)",
                        "IPV6INIT=\(v6 ?? "(absent)")", path: path, line: file.lineNumber(of: "IPV6INIT")))
                if let name = file.value(of: "DHCP_HOSTNAME") {
                    results.append(
                        CheckResult(
                            "hostname.dhcp", .fail, "no build-VM DHCP_HOSTNAME", "DHCP_HOSTNAME=\(name)", path: path,
                            line: file.lineNumber(of: "DHCP_HOSTNAME")))
                }
            }
        }
        // Hostname.
        let generic: Set<String> = ["localhost", "localhost.localdomain", ""]
        var hostnameSeen = false
        for path in ["/etc/hostname", "/etc/HOSTNAME"] {
            if let text = try files.readText(path, limit: 4096) {
                hostnameSeen = true
                let name = text.trimmingSpaces.trimmingCharacters("\n")
                results.append(
                    CheckResult(
                        "hostname", generic.contains(name) ? .pass : .fail,
                        "a generic hostname (localhost.localdomain)", "'\(name)'", path: path, line: 1))
            }
        }
        if let text = try files.readText("/etc/sysconfig/network") {
            let file = ShellVariableFile(text)
            if let name = file.value(of: "HOSTNAME") {
                hostnameSeen = true
                results.append(
                    CheckResult(
                        "hostname", generic.contains(name) ? .pass : .fail,
                        "a generic hostname (localhost.localdomain)",
                        "HOSTNAME=\(name)", path: "/etc/sysconfig/network", line: file.lineNumber(of: "HOSTNAME")))
            }
        }
        if !hostnameSeen {
            results.append(
                CheckResult("hostname", .pass, "a generic hostname (localhost.localdomain)", "no hostname file"))
        }
        // NetworkManager.
        results.append(
            CheckResult(
                "network-manager", inspection.networkManagerInstalled ? .warn : .pass,
                "NetworkManager not installed (the agent may conflict with it)",
                inspection.networkManagerInstalled ? "installed" : "not installed",
                path: inspection.networkManagerInstalled ? "/usr/sbin/NetworkManager" : nil))
        // resolv.conf.
        let resolv = "/etc/resolv.conf"
        if let info = try files.lstat(resolv), info.type == .symlink {
            let target = try files.readLink(resolv)
            let owned = target.contains("systemd/resolve") || target.contains("resolvconf")
            let dangling = try files.resolve(resolv) == nil
            results.append(
                CheckResult(
                    "resolv.conf", owned || !dangling ? .pass : .warn,
                    "resolv.conf not a dangling symlink (unless a resolver owns it)",
                    "symlink → \(target)\(dangling ? " (target on a runtime filesystem)" : "")", path: resolv))
        } else if let text = try files.readText(resolv, limit: 1 << 20) {
            let servers = ResolvConf(text).nameserverLines
            results.append(
                CheckResult(
                    "resolv.conf", servers.isEmpty ? .pass : .warn, "no stale static nameservers",
                    servers.isEmpty ? "no nameserver lines" : servers.joined(separator: "; "), path: resolv))
        }
        return results
    }
}
