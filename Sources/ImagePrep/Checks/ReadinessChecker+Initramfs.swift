/// §b.12: the Hyper-V drivers in every initramfs (read from its cpio archives) or built into the kernel
/// (`boot.initramfs-hv`), and the NVMe drivers Azure's newer VM sizes boot from (`boot.initramfs-nvme`, a warning).
extension ReadinessChecker {
    /// The drivers a VM on Hyper-V needs to reach its root disk, and the network driver.
    static let requiredDrivers = ["hv_vmbus", "hv_storvsc"]
    static let networkDriver = "hv_netvsc"
    /// The drivers an NVMe OS disk needs in the initramfs (module names, `-` read as `_`).
    static let nvmeDrivers = ["nvme", "nvme_core"]
    static let nvmeRequirement =
        "nvme and nvme_core in the initramfs or built into the kernel (VM sizes with an NVMe OS disk)"
    /// The largest initramfs read.
    static let initramfsReadLimit = 512 << 20

    /// The initramfs files in `/boot` and the kernel release each is for.
    func initramfsFiles() throws(ImagePrepError) -> [(path: String, release: String)] {
        guard try files.lstat("/boot")?.type == .directory else { return [] }
        var found: [(String, String)] = []
        for name in try files.listDirectory("/boot").sorted() {
            var release: Substring?
            if name.hasPrefix("initramfs-") && name.hasSuffix(".img") {
                release = name.dropFirst("initramfs-".count).dropLast(".img".count)
            } else if name.hasPrefix("initrd.img-") {
                release = name.dropFirst("initrd.img-".count)
            } else if name.hasPrefix("initrd-") {
                release = name.dropFirst("initrd-".count)
            }
            guard let release, try files.lstat("/boot/" + name)?.type == .regular else { continue }
            found.append(("/boot/" + name, String(release)))
        }
        return found
    }

    func initramfsResults() throws(ImagePrepError) -> [CheckResult] {
        let requirement = "hv_vmbus and hv_storvsc (and hv_netvsc) in the initramfs or built into the kernel"
        let images = try initramfsFiles()
        guard !images.isEmpty else {
            return [
                CheckResult("boot.initramfs-hv", .warn, requirement, "no initramfs in /boot", path: "/boot"),
                CheckResult("boot.initramfs-nvme", .warn, Self.nvmeRequirement, "no initramfs in /boot", path: "/boot"),
            ]
        }
        var results: [CheckResult] = []
        for (path, release) in images {
            let builtinPath = "/lib/modules/\(release)/modules.builtin"
            var builtin = Set<String>()
            if let text = try files.readText(builtinPath, limit: 16 << 20) { builtin = Initramfs.builtinNames(text) }
            let archive: Initramfs
            do {
                archive = try Initramfs(try files.readFile(path, limit: Self.initramfsReadLimit), path: path) {
                    $0.hasSuffix("/modules.builtin")
                }
            } catch {
                results.append(
                    CheckResult("boot.initramfs-hv", .warn, requirement, "cannot read: \(error)", path: path))
                results.append(
                    CheckResult("boot.initramfs-nvme", .warn, Self.nvmeRequirement, "cannot read: \(error)", path: path)
                )
                continue
            }
            let present = archive.moduleNames.union(archive.builtinModules).union(builtin)
            let missing = Self.requiredDrivers.filter { !present.contains($0) }
            let compression = archive.segments.joined(separator: "+")
            if !missing.isEmpty {
                results.append(
                    CheckResult(
                        "boot.initramfs-hv", .fail, requirement,
                        "missing \(missing.joined(separator: ", ")) (\(archive.entries.count) members, \(compression))",
                        path: path))
            } else if !present.contains(Self.networkDriver) {
                results.append(
                    CheckResult(
                        "boot.initramfs-hv", .warn, requirement,
                        "hv_vmbus and hv_storvsc present, hv_netvsc missing (\(compression))", path: path))
            } else {
                results.append(
                    CheckResult(
                        "boot.initramfs-hv", .pass, requirement,
                        "hv_vmbus, hv_storvsc, hv_netvsc present (\(compression))", path: path))
            }
            results.append(
                Self.nvmeResult(present: present, path: path, builtinPath: builtinPath, compression: compression))
        }
        return results
    }

    /// `boot.initramfs-nvme` for one initramfs: a warning (not a failure) when `nvme` or `nvme_core` is neither in
    /// it nor built in, since only VM sizes with an NVMe OS disk need them.
    static func nvmeResult(present: Set<String>, path: String, builtinPath: String, compression: String) -> CheckResult
    {
        let missing = nvmeDrivers.filter { !present.contains($0) }
        guard missing.isEmpty else {
            return CheckResult(
                "boot.initramfs-nvme", .warn, nvmeRequirement,
                "missing \(missing.joined(separator: ", ")) (neither in the initramfs, \(compression), nor in \(builtinPath)): the image cannot boot on VM sizes with an NVMe OS disk",
                path: path)
        }
        return CheckResult(
            "boot.initramfs-nvme", .pass, nvmeRequirement, "nvme, nvme_core present (\(compression))", path: path)
    }
}
