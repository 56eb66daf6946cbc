/// The image's own `/etc/waagent.conf`, read with the agent's code defaults (conf.py) for absent keys.
///
/// Switches follow the agent's rule: `y` is on, `n` is off, anything else (or absent) is the default.
public struct AgentSettings: Sendable, Equatable {
    /// The guest path it was read from (`nil` when the image has none).
    public var path: String?
    var values: [String: String]
    var lines: [String: Int]

    public init(path: String?, text: String?) {
        self.path = text == nil ? nil : path
        values = [:]
        lines = [:]
        guard let text else { return }
        for (index, line) in TextLines(text).lines.enumerated() {
            let trimmed = line.trimmingSpaces
            guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = String(trimmed[..<equals]).trimmingSpaces
            var value = String(trimmed[trimmed.index(after: equals)...]).trimmingSpaces
            if let hash = value.firstRange(of: " #") { value = String(value[..<hash.lowerBound]).trimmingSpaces }
            values[key] = KeyValueText.unquote(value)
            lines[key] = index + 1
        }
    }

    /// Reads `/etc/waagent.conf` from the guest.
    public static func read(from files: any GuestFiles, path: String = "/etc/waagent.conf") throws(ImagePrepError)
        -> AgentSettings
    {
        AgentSettings(path: path, text: try files.readText(path, limit: 1 << 20))
    }

    /// The raw value of `key` as written, or `nil`.
    public func value(_ key: String) -> String? { values[key] }
    /// The 1-based line of `key` in the file.
    public func line(_ key: String) -> Int? { lines[key] }

    /// The switch `key`: `y` → true, `n` → false, otherwise `defaultValue`.
    public func flag(_ key: String, default defaultValue: Bool) -> Bool {
        switch values[key]?.lowercased() {
        case "y": return true
        case "n": return false
        default: return defaultValue
        }
    }

    public func string(_ key: String, default defaultValue: String) -> String {
        guard let value = values[key], !value.isEmpty else { return defaultValue }
        return value
    }

    /// `Provisioning.RegenerateSshHostKeyPair` (code default n).
    public var regenerateSshHostKeyPair: Bool { flag("Provisioning.RegenerateSshHostKeyPair", default: false) }
    /// `Provisioning.DeleteRootPassword` (code default n).
    public var deleteRootPassword: Bool { flag("Provisioning.DeleteRootPassword", default: false) }
    /// `OS.PasswordPath` (default `/etc/shadow`).
    public var passwordPath: String { string("OS.PasswordPath", default: "/etc/shadow") }
    /// `OS.SshDir` (default `/etc/ssh`).
    public var sshDir: String { string("OS.SshDir", default: "/etc/ssh") }
    /// `OS.SudoersDir` (default `/etc/sudoers.d`).
    public var sudoersDir: String { string("OS.SudoersDir", default: "/etc/sudoers.d") }
    /// `Lib.Dir` (default `/var/lib/waagent`).
    public var libDir: String { string("Lib.Dir", default: "/var/lib/waagent") }
    /// `Extension.LogDir` (default `/var/log/azure`).
    public var extensionLogDir: String { string("Extension.LogDir", default: "/var/log/azure") }
    /// `Provisioning.Agent` (default `auto`).
    public var provisioningAgent: String { string("Provisioning.Agent", default: "auto") }
    /// `ResourceDisk.Format` (code default n).
    public var resourceDiskFormat: Bool { flag("ResourceDisk.Format", default: false) }
    /// `ResourceDisk.EnableSwap` (code default n).
    public var resourceDiskEnableSwap: Bool { flag("ResourceDisk.EnableSwap", default: false) }
    /// `AutoUpdate.Enabled` (code default y).
    public var autoUpdateEnabled: Bool { flag("AutoUpdate.Enabled", default: true) }
}
