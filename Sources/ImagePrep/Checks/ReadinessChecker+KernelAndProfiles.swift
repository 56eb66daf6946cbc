import GuestConfig

/// The kernel and NetworkManager verdicts (generalize.md §b.21 and the NM part of §b.31).
extension ReadinessChecker {
    /// §b.21: the newest installed kernel against the SACK-patched minimum of the distribution.
    func kernelResults() throws(ImagePrepError) -> [CheckResult] {
        [KernelVersionCheck.result(kernels: try InstalledKernel.read(files), distribution: inspection.distribution)]
    }

    /// §b.31: NetworkManager keyfile profiles bound to a MAC address (`mac-address=` in `[ethernet]`/`[wifi]`
    /// of `/etc/NetworkManager/system-connections/*`): on a clone with another MAC the profile never activates.
    func networkManagerProfileResults() throws(ImagePrepError) -> [CheckResult] {
        let requirement = "no MAC-bound NetworkManager profiles (mac-address= in system-connections)"
        var results: [CheckResult] = []
        for binding in try NetworkManagerMACBinding.find(files) {
            results.append(
                CheckResult(
                    "net.nm-mac", .fail, requirement, "mac-address=\(binding.mac) in [\(binding.section)]",
                    path: binding.path, line: binding.line))
        }
        if results.isEmpty { results.append(CheckResult("net.nm-mac", .pass, requirement, "no MAC-bound profile")) }
        return results
    }
}

/// A `mac-address=` line in a NetworkManager keyfile profile.
public struct NetworkManagerMACBinding: Sendable, Equatable {
    /// The keyfile's guest path.
    public var path: String
    /// 1-based line of the `mac-address=` key.
    public var line: Int
    /// The keyfile section (`[ethernet]`, `[wifi]`).
    public var section: String
    /// The MAC address it binds the profile to.
    public var mac: String

    /// The keyfile directory.
    public static let directory = "/etc/NetworkManager/system-connections"

    /// Every binding in the profiles of ``directory`` (regular files only).
    public static func find(_ files: any GuestFiles) throws(ImagePrepError) -> [NetworkManagerMACBinding] {
        guard try files.lstat(directory)?.type == .directory else { return [] }
        var found: [NetworkManagerMACBinding] = []
        for name in try files.listDirectory(directory).sorted() {
            let path = directory + "/" + name
            guard try files.lstat(path)?.type == .regular, let text = try files.readText(path, limit: 1 << 20) else {
                continue
            }
            found += bindings(in: text, path: path)
        }
        return found
    }

    /// `text` without its `mac-address=` lines in the MAC-carrying sections; every other byte kept.
    public static func removingBindings(from text: String, path: String) -> String {
        let drop = Set(bindings(in: text, path: path).map(\.line))
        guard !drop.isEmpty else { return text }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.enumerated().filter { !drop.contains($0.offset + 1) }.map(\.element).joined(separator: "\n")
    }

    /// The bindings in one keyfile's text (`[ethernet]`, `[wifi]`, `[802-3-ethernet]`, `[802-11-wireless]` sections).
    static func bindings(in text: String, path: String) -> [NetworkManagerMACBinding] {
        let macSections: Set<String> = ["ethernet", "wifi", "802-3-ethernet", "802-11-wireless", "infiniband"]
        var section = ""
        var found: [NetworkManagerMACBinding] = []
        for (index, raw) in ConfigText(text).contents.enumerated() {
            let line = raw.trimmingSpaces
            if line.hasPrefix("[") && line.hasSuffix("]") { section = String(line.dropFirst().dropLast()); continue }
            guard macSections.contains(section), let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals]).trimmingSpaces
            let value = String(line[line.index(after: equals)...]).trimmingSpaces
            if key == "mac-address" && !value.isEmpty {
                found.append(NetworkManagerMACBinding(path: path, line: index + 1, section: section, mac: value))
            }
        }
        return found
    }
}
