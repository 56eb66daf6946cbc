public import GuestConfig

/// `rootdelay=` follows the guest: the guides ask for `rootdelay=300` as the longest wait for slow storage, but
/// an initramfs that sleeps `$ROOTDELAY` unconditionally (Debian 12's initramfs-tools `/init`) would make every
/// boot take 300 s more. The decision is read from the guest's own initramfs scripts.
public struct RootDelayDecision: Sendable, Equatable {
    /// What the scripts do with rootdelay, and where that was read.
    public var use: InitramfsRootDelay
    /// The initramfs it was read from.
    public var initramfs: String

    /// Whether the guest's initramfs sleeps the whole rootdelay on every boot.
    public var sleepsUnconditionally: Bool { use.behavior == .unconditionalSleep }

    /// One phrase for reports: `/boot/initrd.img-6.1.0 (init:231: sleep "$ROOTDELAY")`.
    public var evidence: String { "\(initramfs) (\(use.script):\(use.line): \(use.text))" }

    /// Members of an initramfs that may read rootdelay: its init, initramfs-tools' scripts, dracut's shell code.
    static func isScript(_ name: String) -> Bool {
        let plain = name.hasPrefix("./") ? String(name.dropFirst(2)) : name
        return plain == "init" || plain.hasPrefix("scripts/") || plain.hasSuffix(".sh")
    }

    /// The decision for the guest: the first initramfs whose scripts sleep unconditionally, else the first that
    /// bounds a wait by rootdelay; `nil` when no initramfs is readable or none uses rootdelay.
    public static func read(_ files: any GuestFiles, initramfs: [String]) throws(ImagePrepError) -> RootDelayDecision? {
        var bound: RootDelayDecision?
        for path in initramfs {
            guard
                let archive = try? Initramfs(
                    try files.readFile(path, limit: ReadinessChecker.initramfsReadLimit), path: path, keep: isScript)
            else { continue }
            let scripts = archive.entries.compactMap { entry in
                entry.data.map { (entry.name, String(decoding: $0, as: UTF8.self)) }
            }
            guard let use = InitramfsRootDelay.classify(scripts) else { continue }
            let decision = RootDelayDecision(use: use, initramfs: path)
            if decision.sleepsUnconditionally { return decision }
            if bound == nil { bound = decision }
        }
        return bound
    }
}

extension ReadinessChecker {
    /// The guest's rootdelay decision (read once per check).
    func rootDelayDecision() throws(ImagePrepError) -> RootDelayDecision? {
        try RootDelayDecision.read(files, initramfs: try initramfsFiles().map(\.path))
    }

    /// The arguments every kernel line must have on this guest: rootdelay=300 unless its initramfs sleeps it.
    func requiredKernelArguments(_ decision: RootDelayDecision?) -> [String] {
        guard decision?.sleepsUnconditionally == true else { return AzurePreparer.requiredKernelArguments }
        return AzurePreparer.requiredKernelArguments.filter { !$0.hasPrefix("rootdelay=") }
    }

    /// `boot.rootdelay`, where the initramfs sleeps unconditionally: a long rootdelay warns (every boot waits
    /// it out); its absence passes.
    func rootDelayResults(_ decision: RootDelayDecision?) throws(ImagePrepError) -> [CheckResult] {
        guard let decision, decision.sleepsUnconditionally else { return [] }
        let requirement = "no long rootdelay where the initramfs sleeps it on every boot"
        var results: [CheckResult] = []
        for file in inspection.bootloaderFiles {
            guard let text = try files.readText(file.path) else { continue }
            for (line, words) in file.kind.commandLines(of: text, path: file.path).map({ ($0.line, $0.words) }) {
                let delay = words.last { $0.hasPrefix("rootdelay=") }.flatMap { Int($0.dropFirst("rootdelay=".count)) }
                if let delay, delay > 10 {
                    results.append(
                        CheckResult(
                            "boot.rootdelay", .warn, requirement,
                            "rootdelay=\(delay): every boot sleeps \(delay) s in \(decision.evidence)", path: file.path,
                            line: line))
                } else {
                    results.append(
                        CheckResult(
                            "boot.rootdelay", .pass, requirement,
                            delay.map { "rootdelay=\($0) (short)" }
                                ?? "no rootdelay, as \(decision.evidence) sleeps it unconditionally",
                            path: file.path, line: line))
                }
            }
        }
        return results
    }
}

extension AzurePreparer {
    /// rootdelay for the kernel-args operation: `--rootdelay N` wins; otherwise 300 unless the guest's
    /// initramfs sleeps it unconditionally (then nothing, and a finding says why).
    static func rootDelayArgument(_ c: PlanContext, inspection: GuestInspection) throws(ImagePrepError) -> String? {
        if let insisted = c.azureOptions.rootDelay { return "rootdelay=\(insisted)" }
        let checker = ReadinessChecker(files: c.files, disk: nil, inspection: inspection)
        guard let decision = try checker.rootDelayDecision(), decision.sleepsUnconditionally else {
            return "rootdelay=300"
        }
        c.note(
            .info,
            "rootdelay=300 not added: the initramfs sleeps rootdelay on every boot, it is not a wait for the root device: \(decision.evidence); every boot would take 300 s longer (use --rootdelay N to add it anyway)",
            path: decision.initramfs)
        return nil
    }
}
