import GuestConfig

/// The seeds' checklist items beyond generalize.md §b: sudo's targetpw, the resource disk and SCSI timeout in
/// waagent.conf, SUSE's DHCP hostname and LLADDR, the network service at boot, `numa=off` on old kernels,
/// human accounts with usable passwords, and pyasn1 for old agents.
extension ReadinessChecker {
    func checklistResults() throws(ImagePrepError) -> [CheckResult] {
        var results: [CheckResult] = []
        try results += targetpwResults()
        try results += resourceDiskResults()
        try results += suseNetworkResults()
        try results += networkServiceResults()
        try results += numaResults()
        try results += accountPasswordResults()
        try results += pyasn1Results()
        try results += persistentNetGeneratorResults()
        try results += cloudInitSwapResults()
        try results += cloudInitResourceDiskResults()
        return results
    }

    /// `/etc/sudoers` and every file it includes (`#include`, `#includedir`, `@…` forms), at most 8 levels deep,
    /// each file once; `includedir` skips names with a `.` or ending in `~`, as sudo does.
    static func sudoersFiles(_ files: any GuestFiles) throws(ImagePrepError) -> [(path: String, file: SudoersFile)] {
        var found: [(String, SudoersFile)] = []
        var seen = Set<String>()
        func visit(_ path: String, depth: Int) throws(ImagePrepError) {
            guard depth < 8, let resolved = try files.resolve(path), seen.insert(resolved).inserted,
                try files.lstat(resolved)?.type == .regular, let text = try files.readText(resolved, limit: 1 << 20)
            else { return }
            let file = SudoersFile(text, path: path)
            found.append((path, file))
            for include in file.includes {
                let target =
                    include.target.hasPrefix("/")
                    ? include.target : PathText.join(PathText.parent(path), include.target)
                if include.isDirectory {
                    guard let folder = try files.resolve(target), try files.lstat(folder)?.type == .directory else {
                        continue
                    }
                    for name in try files.listDirectory(folder).sorted()
                    where !name.contains(".") && !name.hasSuffix("~") {
                        try visit(PathText.join(target, name), depth: depth + 1)
                    }
                } else {
                    try visit(target, depth: depth + 1)
                }
            }
        }
        try visit("/etc/sudoers", depth: 0)
        return found
    }

    func targetpwResults() throws(ImagePrepError) -> [CheckResult] {
        let requirement =
            "no 'Defaults targetpw' or 'ALL ALL=(ALL) ALL' in sudoers (provisioning locks root's password)"
        let sudoers = try Self.sudoersFiles(files)
        var results: [CheckResult] = []
        for (path, file) in sudoers {
            for rule in file.targetpwRules {
                results.append(CheckResult("sudo.targetpw", .fail, requirement, rule.text, path: path, line: rule.line))
            }
        }
        if results.isEmpty, !sudoers.isEmpty {
            results.append(
                CheckResult(
                    "sudo.targetpw", .pass, requirement,
                    "none in \(sudoers.count) sudoers file\(sudoers.count == 1 ? "" : "s")", path: "/etc/sudoers"))
        }
        return results
    }

    /// With the agent provisioning (no cloud-init): the resource disk formatted, swap (when on) with a size, and
    /// `OS.RootDeviceScsiTimeout=300` (the seeds' setting for slow storage).
    func resourceDiskResults() throws(ImagePrepError) -> [CheckResult] {
        let settings = try AgentSettings.read(from: files)
        guard let path = settings.path else { return [] }
        var results: [CheckResult] = []
        if inspection.agent("cloud-init") == nil {
            let format = settings.resourceDiskFormat
            let swapSize = Int(settings.value("ResourceDisk.SwapSizeMB") ?? "0") ?? 0
            let swapWithoutSize = settings.resourceDiskEnableSwap && swapSize <= 0
            results.append(
                CheckResult(
                    "agent.resource-disk", format && !swapWithoutSize ? .pass : .warn,
                    "the agent formats the resource disk (ResourceDisk.Format=y) and puts swap there, not on the OS disk",
                    "ResourceDisk.Format=\(format ? "y" : "n"), EnableSwap=\(settings.resourceDiskEnableSwap ? "y" : "n"), SwapSizeMB=\(swapSize)"
                        + (swapWithoutSize ? " (swap on with no size)" : ""),
                    path: path, line: settings.line("ResourceDisk.Format")))
        }
        let timeout = settings.value("OS.RootDeviceScsiTimeout")
        results.append(
            CheckResult(
                "agent.scsi-timeout", timeout == "300" ? .pass : .warn,
                "OS.RootDeviceScsiTimeout=300 (the seeds' setting)",
                "OS.RootDeviceScsiTimeout=\(timeout ?? "(absent)")", path: path,
                line: settings.line("OS.RootDeviceScsiTimeout")))
        return results
    }

    /// SUSE: `DHCLIENT_SET_HOSTNAME="no"` (the agent sets the hostname) and no `LLADDR=` in ifcfg files.
    func suseNetworkResults() throws(ImagePrepError) -> [CheckResult] {
        guard inspection.distribution.family == .suse else { return [] }
        var results: [CheckResult] = []
        let dhcp = "/etc/sysconfig/network/dhcp"
        if let text = try files.readText(dhcp) {
            let file = ShellVariableFile(text)
            let value = file.value(of: "DHCLIENT_SET_HOSTNAME")
            results.append(
                CheckResult(
                    "net.dhclient-hostname", value == "no" ? .pass : .fail, "DHCLIENT_SET_HOSTNAME=\"no\" (SUSE)",
                    "DHCLIENT_SET_HOSTNAME=\(value.map { "\"\($0)\"" } ?? "(absent: yes)")", path: dhcp,
                    line: file.lineNumber(of: "DHCLIENT_SET_HOSTNAME")))
        }
        var pinned = false
        for path in try files.glob("/etc/sysconfig/network/ifcfg-*") {
            guard let text = try files.readText(path) else { continue }
            let file = ShellVariableFile(text)
            if let mac = file.value(of: "LLADDR"), !mac.isEmpty {
                pinned = true
                results.append(
                    CheckResult(
                        "net.lladdr", .fail, "no LLADDR= in SUSE ifcfg files", "LLADDR=\(mac)", path: path,
                        line: file.lineNumber(of: "LLADDR")))
            }
        }
        if !pinned { results.append(CheckResult("net.lladdr", .pass, "no LLADDR= in SUSE ifcfg files", "none")) }
        return results
    }

    /// The network comes up at boot: a systemd wants-link (network, NetworkManager, systemd-networkd, wicked,
    /// networking), a SysV start link, or an upstart job.
    func networkServiceResults() throws(ImagePrepError) -> [CheckResult] {
        let services = ["network", "NetworkManager", "systemd-networkd", "wicked", "networking"]
        var patterns: [String] = []
        for dir in ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"] {
            patterns += services.map { "\(dir)/*.wants/\($0).service" }
        }
        for rc in ["/etc/rc.d/rc3.d", "/etc/rc3.d", "/etc/init.d/rc3.d", "/etc/rc2.d", "/etc/rcS.d"] {
            patterns += ["\(rc)/S*network", "\(rc)/S*networking"]
        }
        patterns += ["/etc/init/networking.conf", "/etc/init/network-interface.conf", "/etc/init/network.conf"]
        var found: String?
        for pattern in patterns {
            if let match = try files.glob(pattern).first { found = match; break }
        }
        return [
            CheckResult(
                "service.network", found == nil ? .warn : .pass, "the network service starts at boot",
                found.map { "enabled by \($0)" }
                    ?? "no wants-link, SysV start link or upstart job for \(services.joined(separator: ", "))",
                path: found)
        ]
    }

    /// Kernels older than 2.6.37 need `numa=off` on Azure (the CentOS 6 seed; a NUMA bug of those kernels).
    func numaResults() throws(ImagePrepError) -> [CheckResult] {
        guard let kernel = try AzurePreparer.kernelNeedingNumaOff(files) else { return [] }
        var results: [CheckResult] = []
        for file in inspection.bootloaderFiles {
            guard let text = try files.readText(file.path) else { continue }
            for (line, words) in file.kind.commandLines(of: text, path: file.path).map({ ($0.line, $0.words) }) {
                let has = words.contains("numa=off")
                results.append(
                    CheckResult(
                        "boot.numa", has ? .pass : .fail, "numa=off on kernels older than 2.6.37",
                        has
                            ? "present (kernel \(kernel.release))"
                            : "missing; kernel \(kernel.release) is older than 2.6.37", path: file.path, line: line))
            }
        }
        return results
    }

    /// Human accounts (UID_MIN…UID_MAX of login.defs) must not have usable passwords: every clone would accept
    /// them. The provisioned user only warns (generalize --delete-user removes it).
    func accountPasswordResults() throws(ImagePrepError) -> [CheckResult] {
        let settings = try AgentSettings.read(from: files)
        guard let passwd = try files.readText("/etc/passwd"), let shadow = try files.readText(settings.passwordPath)
        else { return [] }
        let defs = LoginDefs(try files.readText("/etc/login.defs") ?? "")
        let requirement = "no human account with a usable password (a default credential on every clone)"
        let hashes = AccountDatabase(shadow, kind: .shadow)
        var results: [CheckResult] = []
        for record in AccountDatabase(passwd, kind: .passwd).records where record.fields.count > 2 {
            guard let uid = Int(record.fields[2]), uid >= defs.uidMin, uid <= defs.uidMax, uid != 65534 else {
                continue
            }
            let field = hashes.record(named: record.name)?.fields[1] ?? record.fields[1]
            guard field.isEmpty || SecretMaterial.isHash(field) else { continue }
            let provisioned = record.name == inspection.provisionedUser
            results.append(
                CheckResult(
                    "accounts.passwords", provisioned ? .warn : .fail, requirement,
                    "\(record.name) (uid \(uid)) has \(field.isEmpty ? "an empty password" : "a password hash")"
                        + (provisioned ? " (the provisioned user: generalize --delete-user removes it)" : ""),
                    path: settings.passwordPath, line: hashes.record(named: record.name).map { $0.lineIndex + 1 }))
        }
        if results.isEmpty {
            results.append(
                CheckResult(
                    "accounts.passwords", .pass, requirement, "no human account has a usable password",
                    path: settings.passwordPath))
        }
        return results
    }

    /// WALinuxAgent 2.0 needs python-pyasn1 (the CentOS 6 and SLES 11 seeds install it with the agent).
    func pyasn1Results() throws(ImagePrepError) -> [CheckResult] {
        guard let agent = inspection.agent("WALinuxAgent"), let version = agent.version,
            Version.less(version, than: [2, 1])
        else { return [] }
        var module: String?
        for pattern in [
            "/usr/lib/python*/site-packages/pyasn1", "/usr/lib64/python*/site-packages/pyasn1",
            "/usr/lib/python*/dist-packages/pyasn1", "/usr/share/pyshared/pyasn1",
        ] {
            if let found = try files.glob(pattern).first { module = found; break }
        }
        return [
            CheckResult(
                "agent.pyasn1", module == nil ? .fail : .pass,
                "python-pyasn1 installed for WALinuxAgent \(version) (2.0 needs it)",
                module.map { "found \($0)" } ?? "no pyasn1 module in the Python library folders",
                path: module ?? agent.path)
        ]
    }
}

extension ReadinessChecker {
    /// `ssh.host-keys`: keys left warn (private to the build VM); none left fails when nothing in the image
    /// makes new ones at boot (sshd would not start), and passes when something does.
    func hostKeyResult() throws(ImagePrepError) -> CheckResult {
        let requirement =
            "no SSH host keys left in the image (private to the build VM), and something makes new ones at boot"
        let settings = try AgentSettings.read(from: files)
        let keys = try files.glob(settings.sshDir + "/ssh_host_*key*")
        if !keys.isEmpty {
            return CheckResult(
                "ssh.host-keys", .warn, requirement,
                "\(keys.count) key file(s): \(keys.prefix(3).joined(separator: ", "))", path: keys.first)
        }
        let config = try files.exists("/etc/ssh/sshd_config")
        let binary = try files.exists("/usr/sbin/sshd")
        let sshd = config || binary
        guard let regenerator = try HostKeyRegenerator.find(files, inspection: inspection, agent: settings) else {
            return CheckResult(
                "ssh.host-keys", sshd ? .fail : .pass, requirement,
                sshd
                    ? "no host keys and nothing makes them at boot (no agent with RegenerateSshHostKeyPair=y, no cloud-init, no sshd-keygen unit or init script): sshd will not start"
                    : "no host keys; sshd not installed",
                path: settings.sshDir)
        }
        return CheckResult(
            "ssh.host-keys", .pass, requirement, "none; \(regenerator) makes new ones at boot", path: settings.sshDir)
    }
}

extension ReadinessChecker {
    /// With cloud-init: exactly one owner of the resource disk's swap. cloud-init's `swap:`/`mounts:` and the
    /// agent's `ResourceDisk.EnableSwap=y` together would both make swap on it.
    func cloudInitSwapResults() throws(ImagePrepError) -> [CheckResult] {
        guard inspection.agent("cloud-init") != nil else { return [] }
        var declared: (path: String, line: Int)?
        for source in try CloudInitSetup.baseFiles(files) {
            guard let line = CloudConfigSwap.declaration(in: source.text) else { continue }
            declared = (source.path, line)
        }
        let settings = try AgentSettings.read(from: files)
        let agentSwap = settings.path != nil && settings.resourceDiskEnableSwap
        let requirement =
            "one owner of the resource disk's swap: cloud-init (swap/mounts) or the agent (ResourceDisk.EnableSwap), not both"
        if let declared {
            return [
                CheckResult(
                    "cloud-init.swap", agentSwap ? .fail : .pass, requirement,
                    agentSwap
                        ? "cloud-init declares swap and waagent.conf has ResourceDisk.EnableSwap=y"
                        : "swap by cloud-init",
                    path: declared.path, line: declared.line)
            ]
        }
        return [
            CheckResult(
                "cloud-init.swap", .pass, requirement,
                agentSwap ? "swap by the agent (ResourceDisk.EnableSwap=y)" : "no swap on the resource disk",
                path: settings.path)
        ]
    }

    /// With cloud-init, its `disk_setup`, `fs_setup`, `mounts` and `swap` judged as `agent.resource-disk` judges
    /// waagent's ResourceDisk settings: the resource disk formatted and mounted, and swap (when any) on it with
    /// a partition cloud-init really makes; a swap file fails (cc_mounts makes it on the OS disk).
    func cloudInitResourceDiskResults() throws(ImagePrepError) -> [CheckResult] {
        guard inspection.agent("cloud-init") != nil else { return [] }
        let setup = try CloudInitSetup.resourceDisk(files)
        let verdict = CheckResult.Verdict(rawValue: setup.verdict.rawValue) ?? .warn
        let decisive =
            setup.findings.first { $0.verdict == setup.verdict && $0.path != nil }
            ?? setup.findings.first { $0.path != nil }
        return [
            CheckResult(
                "cloud-init.resource-disk", verdict,
                "cloud-init formats and mounts the resource disk (disk_setup, fs_setup, mounts) and puts swap there, not on the OS disk",
                setup.findings.map { $0.message }.joined(separator: "; "),
                path: decisive?.path ?? "/etc/cloud/cloud.cfg", line: decisive?.line)
        ]
    }
}
