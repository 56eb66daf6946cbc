import GuestConfig

/// The Azure seeds' preparation checklists as one step, chosen by the detected distribution family
/// (RHEL/CentOS, Ubuntu/Debian, SLES/openSUSE, generic): kernel arguments, network files, sudoers, agent
/// configuration, sshd keep-alive, udev rules, grub timeout, swap. What cannot be done offline (uninstalling
/// NetworkManager, installing or updating the agent, repartitioning) is reported as a finding, never faked.
public enum AzurePreparer {
    /// Arguments every kernel command line gets.
    public static let requiredKernelArguments = ["console=ttyS0", "earlyprintk=ttyS0", "rootdelay=300"]
    /// The seconds the boot menu waits.
    public static let grubTimeout = 1
    /// The oldest WALinuxAgent Azure accepts (mandatory since 2020-05-01).
    public static let minimumAgentVersion = [2, 2, 41]

    /// Arguments removed for `family` (the RHEL doc's `rhgb quiet crashkernel=auto`; the SLES doc's libata
    /// settings; Ubuntu's own Azure images keep `quiet splash`).
    public static func kernelArgumentsToRemove(_ family: Distribution.Family) -> [String] {
        switch family {
        case .debian: return []
        case .suse: return ["rhgb", "quiet", "crashkernel=auto", "libata.atapi_enabled=0", "reserve=0x1f0,0x8"]
        default: return ["rhgb", "quiet", "crashkernel=auto"]
        }
    }

    /// Every azure-prepare operation, in the order they run.
    public static let catalog: [PrepOperation] = [
        PrepOperation(
            "kernel-args", default: true,
            "console=ttyS0 earlyprintk=ttyS0 rootdelay=300 on every kernel line of every bootloader file; remove rhgb quiet crashkernel=auto"
        ) { c throws(ImagePrepError) in
            let files = c.inspection.bootloaderFiles
            if files.isEmpty {
                c.note(.warning, "no bootloader configuration found (menu.lst, grub.cfg, /etc/default/grub, BLS)")
            }
            var texts: [String: String] = [:]
            for file in files { texts[file.path] = try c.files.readText(file.path) }
            let outcome = try kernelArgumentOutcome(
                texts, files, add: try kernelArguments(c), remove: kernelArgumentsToRemove(c.family))
            for problem in outcome.problems { c.note(.warning, "not edited: \(problem.message)", path: problem.path) }
            for file in files {
                guard let edited = outcome.edited[file.path] else { continue }
                try c.edit(file.path, "Azure serial console and slow storage attach (\(file.kind.rawValue))") { _ in
                    edited
                }
            }
            if files.contains(where: { $0.kind == .grub2Defaults })
                && files.contains(where: { $0.kind == .grub2Config })
            {
                c.note(
                    .info,
                    "grub.cfg was patched directly (update-grub cannot run offline); /etc/default/grub matches it")
            }
        },
        PrepOperation("grub-timeout", default: true, "boot menu timeout \(grubTimeout) s (nobody sees it on Azure)") {
            c throws(ImagePrepError) in
            for file in c.inspection.bootloaderFiles {
                try c.edit(file.path, "no one answers the boot menu on Azure") { old in
                    BootloaderEdit.timeout(file.kind, old, seconds: grubTimeout)
                }
            }
            try recordfailTimeout(c)
        },
        PrepOperation(
            "ifcfg-eth0", default: true,
            "eth0 by DHCP: ONBOOT=yes, BOOTPROTO=dhcp, IPV6INIT=no, no HWADDR (RHEL ifcfg; SUSE ifcfg STARTMODE=auto)"
        ) { c throws(ImagePrepError) in
            switch c.family {
            case .rhel:
                let path = "/etc/sysconfig/network-scripts/ifcfg-eth0"
                if try c.files.exists(path) {
                    try c.edit(path, "Azure gives eth0 its address by DHCP; MACs differ per VM") { old in
                        var text = ShellVariableFile(old)
                        for (key, value) in SysconfigNetwork.azureEthernetTemplate { _ = try? text.set(key, to: value) }
                        return SysconfigNetwork.removingHardwareAddress(text.text, path: path).edited
                    }
                } else {
                    try c.create(
                        path, (try? SysconfigNetwork.ifcfg(device: "eth0")) ?? "",
                        "Azure gives eth0 its address by DHCP")
                }
            case .suse:
                let path = "/etc/sysconfig/network/ifcfg-eth0"
                let template = [("BOOTPROTO", "dhcp"), ("STARTMODE", "auto"), ("USERCONTROL", "no")]
                if try c.files.exists(path) {
                    try c.edit(path, "Azure gives eth0 its address by DHCP; MACs differ per VM") { old in
                        var text = ShellVariableFile(old)
                        for (key, value) in template { _ = try? text.set(key, to: value) }
                        _ = text.unset("LLADDR")
                        return text.text
                    }
                } else {
                    try c.create(
                        path, template.map { "\($0.0)='\($0.1)'\n" }.joined(), "Azure gives eth0 its address by DHCP")
                }
            default:
                return
            }
        },
        PrepOperation(
            "sysconfig-network", default: true,
            "/etc/sysconfig/network: NETWORKING=yes, HOSTNAME=localhost.localdomain (RHEL family)"
        ) { c throws(ImagePrepError) in
            guard c.family == .rhel else { return }
            let path = "/etc/sysconfig/network"
            if try c.files.exists(path) {
                try c.edit(path, "networking on, generic hostname") { old in
                    var text = ShellVariableFile(old)
                    _ = try? text.set("NETWORKING", to: "yes")
                    _ = try? text.set("HOSTNAME", to: DeprovisionOperations.hostname)
                    return text.text
                }
            } else {
                try c.create(
                    path, "NETWORKING=yes\nHOSTNAME=\(DeprovisionOperations.hostname)\n",
                    "networking on, generic hostname")
            }
        },
        PrepOperation(
            "dhclient-hostname", default: true,
            "DHCLIENT_SET_HOSTNAME=\"no\" in /etc/sysconfig/network/dhcp (SUSE)"
        ) { c throws(ImagePrepError) in
            guard c.family == .suse else { return }
            try c.edit("/etc/sysconfig/network/dhcp", "the agent, not DHCP, sets the hostname") { old in
                var text = ShellVariableFile(old)
                _ = try? text.set("DHCLIENT_SET_HOSTNAME", to: "no")
                return text.text
            }
        },
        PrepOperation(
            "sudoers-targetpw", default: true,
            "comment out 'Defaults targetpw' and the paired 'ALL ALL=(ALL) ALL' in /etc/sudoers and the files it includes"
        ) { c throws(ImagePrepError) in
            for (path, _) in try ReadinessChecker.sudoersFiles(c.files) {
                try c.edit(path, "targetpw makes sudo ask for root's password, which provisioning locks") { old in
                    var sudoers = SudoersFile(old, path: path)
                    sudoers.disableTargetpw()
                    for finding in sudoers.editable.findings where finding.severity == .warning {
                        c.note(.warning, finding.message, path: path)
                    }
                    return sudoers.text
                }
            }
        },
        PrepOperation(
            "waagent-conf", default: true,
            "waagent.conf: provisioning and resource disk (cloud-init: Agent=auto, Format=n, EnableSwap=n, swap by cloud-init with --swap-mb; else Format=y, swap per --swap-mb/--no-swap, default 2048 MB), AutoUpdate.Enabled=y, OS.RootDeviceScsiTimeout=300, RegenerateSshHostKeyPair=y, DeleteRootPassword=y"
        ) { c throws(ImagePrepError) in
            let cloudInit = c.inspection.agent("cloud-init") != nil
            guard let path = c.agent.path else {
                c.note(.warning, "no /etc/waagent.conf: WALinuxAgent must be installed (cannot be done offline)")
                if cloudInit { try cloudInitSwap(c) }
                return
            }
            try c.edit(
                path,
                cloudInit
                    ? "cloud-init provisions; the resource disk is left to cloud-init"
                    : "the agent provisions and puts swap on the resource disk, not the OS disk"
            ) { old in
                var conf = WaagentConfiguration(old, path: path)
                func set(_ key: String, _ value: String) { _ = try? conf.set(key, to: value) }
                if cloudInit {
                    if !["auto", "cloud-init"].contains(c.agent.provisioningAgent) {
                        set("Provisioning.Agent", "auto")
                    }
                    set("ResourceDisk.Format", "n")
                    set("ResourceDisk.EnableSwap", "n")
                } else {
                    set("ResourceDisk.Format", "y")
                    applySwap(c.azureOptions, to: &conf)
                }
                if conf.value(of: "AutoUpdate.Enabled")?.lowercased() == "n" { set("AutoUpdate.Enabled", "y") }
                for (key, value) in marketplaceAgentSettings { set(key, value) }
                return conf.text
            }
            if cloudInit { try cloudInitSwap(c) }
        },
        PrepOperation(
            "sshd-client-alive", default: true, "ClientAliveInterval 180 in the global section of sshd_config"
        ) { c throws(ImagePrepError) in
            let path = "/etc/ssh/sshd_config"
            guard try c.files.exists(path) else {
                c.note(.warning, "no /etc/ssh/sshd_config: is openssh-server installed?")
                return
            }
            try c.edit(path, "Azure's load balancer drops idle connections after 4 minutes") { old in
                var config = SSHDaemonConfig(old, path: path)
                if let value = config.globalValue(of: "ClientAliveInterval").flatMap({ Int($0) }),
                    (30...235).contains(value)
                {
                    return old
                }
                _ = try? config.setClientAliveInterval(180)
                return config.text
            }
        },
        PrepOperation(
            "udev-rules", default: true,
            "remove 70-persistent-net.rules; mask 75-persistent-net-generator.rules (→ /dev/null) where the distribution has it; RHEL with NetworkManager: 68-azure-sriov-nm-unmanaged.rules"
        ) { c throws(ImagePrepError) in
            try c.delete("/etc/udev/rules.d/70-persistent-net.rules", "pins eth0 to the build VM's MAC address")
            try maskPersistentNetGenerator(c)
            if c.family == .rhel, c.inspection.networkManagerInstalled {
                try c.create(
                    "/etc/udev/rules.d/68-azure-sriov-nm-unmanaged.rules",
                    "# Accelerated Networking on Azure exposes a new SRIOV interface to the VM.\n"
                        + "# This interface is transparently bonded to the synthetic interface,\n"
                        + "# so NetworkManager should just ignore any SRIOV interfaces.\n"
                        + "SUBSYSTEM==\"net\", DRIVERS==\"hv_pci\", ACTION!=\"remove\", ENV{NM_UNMANAGED}=\"1\"\n",
                    "NetworkManager must leave accelerated-networking VFs alone")
            }
        },
        PrepOperation("swap", default: true, "no swap on the OS disk: comment out fstab swap entries") {
            c throws(ImagePrepError) in
            for area in c.inspection.swap where area.kind == "partition" {
                c.note(
                    .warning,
                    "partition \(area.location) is swap on the OS disk: remove it (cannot repartition offline)")
            }
            for area in c.inspection.swap where area.kind == "file" && !area.location.hasPrefix("/dev") {
                if try c.files.exists(area.location) {
                    c.note(
                        .warning, "swap file \(area.location) on the OS disk: use the resource disk instead",
                        path: area.location)
                }
            }
            try c.edit("/etc/fstab", "swap belongs on the resource disk (ResourceDisk.EnableSwap or cloud-init)") {
                FstabEdit.disableSwap($0)
            }
        },
        PrepOperation("offline-limits", default: true, "report what only a running VM can do") {
            c throws(ImagePrepError) in
            if c.inspection.networkManagerInstalled {
                c.note(
                    .warning,
                    "NetworkManager is installed: cannot uninstall offline (the seeds remove it on RHEL/CentOS 6 and Ubuntu desktop images)"
                )
            }
            if let agent = c.inspection.agent("WALinuxAgent") {
                if let version = agent.version, Version.less(version, than: minimumAgentVersion) {
                    c.note(
                        .warning, "WALinuxAgent \(version) is older than 2.2.41: update it (cannot be done offline)",
                        path: agent.versionSource)
                }
            } else {
                c.note(.warning, "WALinuxAgent is not installed: install it (cannot be done offline)")
            }
            c.note(
                .info,
                "initramfs drivers (hv_vmbus, hv_storvsc, hv_netvsc) are not rebuilt offline: make sure the initramfs has them"
            )
        },
        SELinuxOperations.relabel,
    ]
}

/// Dotted version comparison.
enum Version {
    static func numbers(_ text: String) -> [Int] {
        text.split(separator: ".").map { Int($0.prefix(while: \.isNumber)) ?? 0 }
    }
    static func less(_ text: String, than minimum: [Int]) -> Bool {
        let have = numbers(text)
        for index in 0..<max(have.count, minimum.count) {
            let a = index < have.count ? have[index] : 0, b = index < minimum.count ? minimum[index] : 0
            if a != b { return a < b }
        }
        return false
    }
}

/// The effective global `ClientAliveInterval` of an sshd_config (GuestConfig's reading: first value wins,
/// before any `Match`) and its 1-based line.
enum SshdKeepAlive {
    static func clientAliveInterval(_ text: String) -> (value: Int?, line: Int)? {
        let config = SSHDaemonConfig(text)
        guard
            let directive = config.directives.first(where: {
                $0.isGlobal && $0.keyword.lowercased() == "clientaliveinterval"
            })
        else {
            return nil
        }
        return (Int(directive.value.trimmingSpaces), directive.lineIndex + 1)
    }
}

/// Edits of `/etc/fstab`.
enum FstabEdit {
    static let marker = "#vhdedit: swap off the OS disk# "

    /// Comments out every swap entry (as GuestConfig's ``FilesystemTable`` reads them).
    static func disableSwap(_ old: String) -> String {
        var text = ConfigText(old)
        for entry in FilesystemTable(old).entries where entry.isSwap {
            text.replaceContent(at: entry.line - 1, with: marker + text.contents[entry.line - 1])
        }
        return text.text
    }
}

extension AzurePreparer {
    /// Plans the checklist over `files` (nothing is written): the changes, in order, and the findings.
    public static func plan(
        files: any GuestFiles, inspection: GuestInspection, selection: OperationSelection = OperationSelection()
    ) throws(ImagePrepError) -> (operations: [String], changes: [PlannedChange], findings: [Finding]) {
        try plan(files: files, inspection: inspection, options: Options(selection: selection))
    }

    /// Plans the checklist with `options` (swap, rootdelay) over `files` (nothing is written).
    public static func plan(
        files: any GuestFiles, inspection: GuestInspection, options: Options
    ) throws(ImagePrepError) -> (operations: [String], changes: [PlannedChange], findings: [Finding]) {
        let chosen = try options.selection.select(from: catalog)
        let staged = StagedGuestFiles(base: files)
        let context = PlanContext(
            files: staged, inspection: inspection, agent: try AgentSettings.read(from: files), userToDelete: nil)
        context.azureOptions = options
        for operation in chosen { try operation.plan(in: context) }
        return (chosen.map(\.name), staged.changes, context.findings)
    }
}
