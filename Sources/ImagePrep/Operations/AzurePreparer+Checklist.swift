import GuestConfig

/// The kernel arguments azure-prepare adds, following the guest: `numa=off` for kernels older than 2.6.37.
extension AzurePreparer {
    /// The newest installed kernel, when it is older than 2.6.37 (those need `numa=off` on Azure: the CentOS 6
    /// seed's step for a NUMA bug of the old kernels); `nil` otherwise or when no kernel is found.
    public static func kernelNeedingNumaOff(_ files: any GuestFiles) throws(ImagePrepError) -> InstalledKernel? {
        let kernels = try InstalledKernel.read(files)
        guard
            let newest = kernels.max(by: {
                Version.numbers($0.release).lexicographicallyPrecedes(Version.numbers($1.release))
            }),
            Version.less(newest.release, than: [2, 6, 37])
        else { return nil }
        return newest
    }

    /// The arguments the kernel-args operation adds on this guest.
    static func kernelArguments(_ c: PlanContext) throws(ImagePrepError) -> [String] {
        var arguments = requiredKernelArguments.filter { !$0.hasPrefix("rootdelay=") }
        if let delay = try rootDelayArgument(c, inspection: c.inspection) { arguments.append(delay) }
        if let kernel = try kernelNeedingNumaOff(c.files) {
            arguments.append("numa=off")
            c.note(.info, "numa=off added: kernel \(kernel.release) is older than 2.6.37", path: kernel.path)
        }
        return arguments
    }
}

extension AzurePreparer {
    /// What azure-prepare does beyond its fixed checklist.
    public struct Options: Sendable, Equatable {
        /// The operations to run (`--only`, `--skip`).
        public var selection: OperationSelection
        /// Swap on the resource disk of this many MB (`--swap-mb`); `nil`: the agent's 2048 MB default when swap
        /// is off or sizeless, nothing for cloud-init.
        public var swapMB: Int?
        /// No swap at all (`--no-swap`).
        public var noSwap: Bool
        /// `rootdelay=N` even where the guest's initramfs sleeps that long unconditionally (`--rootdelay`).
        public var rootDelay: Int?

        /// Options; the defaults are what `vhdedit azure-prepare` does without flags.
        /// - Parameters:
        /// - selection: The operations to run.
        /// - swapMB: Swap on the resource disk of this many MB.
        /// - noSwap: No swap at all.
        /// - rootDelay: `rootdelay=N` even where the initramfs sleeps that long unconditionally.
        public init(
            selection: OperationSelection = OperationSelection(), swapMB: Int? = nil, noSwap: Bool = false,
            rootDelay: Int? = nil
        ) {
            self.selection = selection
            self.swapMB = swapMB
            self.noSwap = noSwap
            self.rootDelay = rootDelay
        }

        /// Checks the choices without an image.
        ///
        /// - Throws: ``ImagePrepError/Code/invalidArgument`` for `--swap-mb` with `--no-swap`, a swap size
        ///   below 1, or a rootdelay outside 1…3600.
        public func validate() throws(ImagePrepError) {
            if noSwap && swapMB != nil {
                throw ImagePrepError(.invalidArgument, "--swap-mb and --no-swap contradict each other")
            }
            if let swapMB, swapMB < 1 {
                throw ImagePrepError(.invalidArgument, "--swap-mb must be at least 1 (got \(swapMB))")
            }
            if let rootDelay, !(1...3600).contains(rootDelay) {
                throw ImagePrepError(.invalidArgument, "--rootdelay is 1 to 3600 seconds (got \(rootDelay))")
            }
            _ = try selection.select(from: catalog)
        }
    }

    /// The waagent.conf settings the Marketplace guides ask for on every image: the SCSI timeout for slow
    /// storage, fresh host keys and no root password at provisioning.
    static let marketplaceAgentSettings = [
        ("OS.RootDeviceScsiTimeout", "300"), ("Provisioning.RegenerateSshHostKeyPair", "y"),
        ("Provisioning.DeleteRootPassword", "y"),
    ]

    /// The agent's swap settings for an agent-provisioned image.
    static func applySwap(_ options: Options, to conf: inout WaagentConfiguration) {
        func set(_ key: String, _ value: String) { _ = try? conf.set(key, to: value) }
        if options.noSwap {
            set("ResourceDisk.EnableSwap", "n")
        } else if let size = options.swapMB {
            set("ResourceDisk.EnableSwap", "y")
            set("ResourceDisk.SwapSizeMB", String(size))
        } else {
            set("ResourceDisk.EnableSwap", "y")
            if (Int(conf.value(of: "ResourceDisk.SwapSizeMB") ?? "0") ?? 0) <= 0 {
                set("ResourceDisk.SwapSizeMB", "2048")
            }
        }
    }

    /// The cloud-init drop-in that puts swap on the resource disk, named as Azure's guides name it.
    static let cloudInitSwapFile = "/etc/cloud/cloud.cfg.d/00-azure-swap.cfg"

    /// Azure's guides' cloud-init setup of the resource disk (RHEL, CentOS, SUSE "Prepare" pages): two partitions,
    /// ext4 mounted at /mnt and swap. cloud-init's disk_setup sizes partitions in percent of the disk, so the
    /// swap share is the guides' 33 %. `overridingSwapFile` adds `swap: {size: 0}` so that a `swap:` file set in
    /// another file (made on the OS disk) is not made.
    static func cloudInitSwapText(overridingSwapFile: Bool) -> String {
        "#cloud-config\n# vhdedit azure-prepare: the resource disk as Azure's guides set it up (ext4 at /mnt, swap partition)\n"
            + "disk_setup:\n  ephemeral0:\n    table_type: mbr\n    layout: [66, [33, 82]]\n    overwrite: True\n"
            + "fs_setup:\n  - device: ephemeral0.1\n    filesystem: ext4\n  - device: ephemeral0.2\n    filesystem: swap\n"
            + "mounts:\n  - [\"ephemeral0.1\", \"/mnt\"]\n"
            + "  - [\"ephemeral0.2\", \"none\", \"swap\", \"sw,nofail,x-systemd.requires=cloud-init.service,x-systemd.device-timeout=2\", \"0\", \"0\"]\n"
            + (overridingSwapFile ? "swap:\n  size: 0\n" : "")
    }

    /// With cloud-init: `--swap-mb` writes Azure's guides' setup (``cloudInitSwapFile`` and `CLOUD_CFG` naming
    /// it in systemd's DefaultEnvironment, so that it wins over the Azure datasource's defaults) unless cloud-init
    /// already makes swap on the resource disk; `--no-swap` removes the drop-in. What is left that still makes
    /// swap is reported.
    static func cloudInitSwap(_ c: PlanContext) throws(ImagePrepError) {
        let setup = try CloudInitSetup.resourceDisk(c.files)
        if c.azureOptions.noSwap {
            try c.delete(cloudInitSwapFile, "--no-swap: no swap on the resource disk")
            let remaining = try CloudInitSetup.resourceDisk(c.files)
            for finding in remaining.findings
            where finding.path != nil && finding.path != cloudInitSwapFile
                && [.swapPartition, .swapFile].contains(finding.topic)
            {
                c.note(
                    .warning, "--no-swap: cloud-init config still sets up swap (edit it by hand): \(finding.message)",
                    path: finding.path)
            }
            return
        }
        guard let size = c.azureOptions.swapMB else { return }
        if let partition = setup.swapPartition {
            c.note(.info, "cloud-init already makes swap on the resource disk (\(partition)): left as it is")
            return
        }
        let swapFileElsewhere = setup.findings.contains { $0.topic == .swapFile && $0.path != cloudInitSwapFile }
        let text = cloudInitSwapText(overridingSwapFile: swapFileElsewhere)
        let reason = "cloud-init partitions the resource disk: ext4 at /mnt and swap (Azure's guides' setup)"
        if try c.files.exists(cloudInitSwapFile) {
            try c.edit(cloudInitSwapFile, reason) { _ in text }
        } else {
            try c.create(cloudInitSwapFile, text, reason)
        }
        c.note(
            .info,
            "cloud-init sizes swap as 33 % of the resource disk (disk_setup takes percentages, not --swap-mb \(size)'s MB)",
            path: cloudInitSwapFile)
        let environment = try CloudInitSetup.systemdEnvironment(c.files)
        switch environment.variables["CLOUD_CFG"] {
        case .some(let set) where set.value == cloudInitSwapFile:
            break
        case .some(let set):
            c.note(
                .warning,
                "CLOUD_CFG already names \(set.value): cloud-init reads that file, not \(cloudInitSwapFile), over the datasource's defaults",
                path: set.path)
        case .none:
            let conf = "/etc/systemd/system.conf"
            if try c.files.exists(conf) {
                try c.edit(
                    conf,
                    "CLOUD_CFG makes cloud-init's resource-disk setup win over the Azure datasource's defaults (Azure's guides)"
                ) { old in
                    SystemdDefaultEnvironment.adding("CLOUD_CFG", value: cloudInitSwapFile, to: old)
                }
            } else {
                c.note(
                    .warning,
                    "no /etc/systemd/system.conf: CLOUD_CFG cannot name \(cloudInitSwapFile), so the Azure datasource's one-partition layout wins and no swap partition is made",
                    path: conf)
            }
        }
    }

    /// Ubuntu's grub menu waits `GRUB_RECORDFAIL_TIMEOUT` (30 s by default) after a boot that did not finish;
    /// grub.cfg is patched by the timeout step, /etc/default/grub gets the setting so update-grub keeps it.
    static func recordfailTimeout(_ c: PlanContext) throws(ImagePrepError) {
        guard c.inspection.distribution.id.lowercased() == "ubuntu" else { return }
        try c.edit("/etc/default/grub", "a boot that did not finish must not wait at the menu (kept by update-grub)") {
            old in
            var file = ShellVariableFile(old)
            // The key and value are ours: GuestConfig's validation cannot refuse them (the text stays as it was if it did).
            _ = try? file.set("GRUB_RECORDFAIL_TIMEOUT", to: String(grubTimeout))
            return file.text
        }
    }

    /// Adds and removes kernel arguments file by file, leaving out an argument a file's every command line
    /// already has with options (`console=ttyS0` beside `console=ttyS0,115200n8`). Files with the same
    /// additions are edited together (BLS entries and grubenv stay consistent).
    static func kernelArgumentOutcome(
        _ texts: [String: String], _ files: [BootloaderFile], add: [String], remove: [String]
    ) throws(ImagePrepError) -> BootloaderEdit.Outcome {
        var groups: [[String]: [String: String]] = [:]
        for file in files {
            guard let text = texts[file.path] else { continue }
            let lines = file.kind.commandLines(of: text, path: file.path).map(\.words)
            let adds = add.filter { argument in
                lines.isEmpty
                    || !lines.allSatisfy { words in
                        !words.contains(argument) && words.contains { $0.hasPrefix(argument + ",") }
                    }
            }
            groups[adds, default: [:]][file.path] = text
        }
        var outcome = BootloaderEdit.Outcome(edited: [:], problems: [])
        for (adds, group) in groups.sorted(by: { $0.key.count > $1.key.count }) {
            let part = try BootloaderEdit.kernelArguments(group, add: adds, remove: remove)
            outcome.edited.merge(part.edited) { a, _ in a }
            outcome.problems += part.problems
        }
        return outcome
    }
}

extension AzurePreparer {
    /// The udev rule that writes 70-persistent-net.rules on first boot (RHEL 6, Ubuntu before 14.04, SLES 11),
    /// and its mask in /etc.
    static let persistentNetGenerators = [
        "/lib/udev/rules.d/75-persistent-net-generator.rules",
        "/usr/lib/udev/rules.d/75-persistent-net-generator.rules",
    ]
    static let persistentNetGeneratorMask = "/etc/udev/rules.d/75-persistent-net-generator.rules"

    /// The generator the distribution ships, when it has one.
    static func persistentNetGenerator(_ files: any GuestFiles) throws(ImagePrepError) -> String? {
        for path in persistentNetGenerators where try files.lstat(path)?.type == .regular { return path }
        return nil
    }

    /// Masks the generator with a /dev/null link of the same name in /etc/udev/rules.d (udev reads /etc first),
    /// as the 2.0 agent did, where the distribution has it.
    static func maskPersistentNetGenerator(_ c: PlanContext) throws(ImagePrepError) {
        guard let generator = try persistentNetGenerator(c.files) else { return }
        try c.symlink(
            persistentNetGeneratorMask, to: "/dev/null",
            "\(generator) would pin eth0 to the first VM's MAC address on first boot")
    }
}

extension ReadinessChecker {
    /// The persistent-net generator is masked where the distribution has one.
    func persistentNetGeneratorResults() throws(ImagePrepError) -> [CheckResult] {
        guard let generator = try AzurePreparer.persistentNetGenerator(files) else { return [] }
        let mask = AzurePreparer.persistentNetGeneratorMask
        var masked = false
        if try files.lstat(mask)?.type == .symlink { masked = try files.readLink(mask) == "/dev/null" }
        return [
            CheckResult(
                "udev.net-generator", masked ? .pass : .fail,
                "the persistent-net generator rule masked (→ /dev/null in /etc/udev/rules.d)",
                masked ? "masked" : "\(generator) is active: the first boot pins eth0 to that VM's MAC", path: mask)
        ]
    }
}
