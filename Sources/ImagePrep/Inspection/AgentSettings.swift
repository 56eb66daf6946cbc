public import GuestConfig

/// The image's own `/etc/waagent.conf`, read through GuestConfig's typed `WaagentConfiguration` (the agent's
/// code defaults from conf.py for absent keys: `y` on, `n` off, anything else the default).
public struct AgentSettings: Sendable {
    /// The guest path it was read from (`nil` when the image has none).
    public var path: String?
    /// The parsed file (empty when absent).
    public var configuration: WaagentConfiguration

    /// The settings of the file at `path` holding `text`; `nil` text (no such file) gives the agent's defaults.
    public init(path: String?, text: String?) {
        self.path = text == nil ? nil : path
        configuration = WaagentConfiguration(text ?? "", path: path)
    }

    /// Reads `/etc/waagent.conf` from the guest.
    public static func read(
        from files: any GuestFiles, path: String = "/etc/waagent.conf"
    ) throws(ImagePrepError)
        -> AgentSettings
    {
        AgentSettings(path: path, text: try files.readText(path, limit: 1 << 20))
    }

    /// The raw value of `key` as written, or `nil`.
    public func value(_ key: String) -> String? { configuration.value(of: key) }
    /// The 1-based line of `key` in the file.
    public func line(_ key: String) -> Int? { configuration.entries.last { $0.key == key }.map { $0.lineIndex + 1 } }

    /// `Provisioning.RegenerateSshHostKeyPair` (code default n).
    public var regenerateSshHostKeyPair: Bool { configuration.regeneratesSshHostKeys }
    /// `Provisioning.DeleteRootPassword` (code default n).
    public var deleteRootPassword: Bool { configuration.deletesRootPassword }
    /// `OS.PasswordPath` (default `/etc/shadow`).
    public var passwordPath: String { configuration.passwordPath }
    /// `OS.SshDir` (default `/etc/ssh`).
    public var sshDir: String { configuration.sshDirectory }
    /// `OS.SudoersDir` (default `/etc/sudoers.d`).
    public var sudoersDir: String { configuration.sudoersDirectory }
    /// `Lib.Dir` (default `/var/lib/waagent`).
    public var libDir: String { configuration.libraryDirectory }
    /// `Extension.LogDir` (default `/var/log/azure`).
    public var extensionLogDir: String {
        let value = configuration.effectiveValue(of: "Extension.LogDir").description
        return value.hasPrefix("/") ? value : "/var/log/azure"
    }
    /// `Provisioning.Agent` (default `auto`).
    public var provisioningAgent: String { configuration.provisioningAgent }
    /// `ResourceDisk.Format` (code default n).
    public var resourceDiskFormat: Bool { configuration.formatsResourceDisk }
    /// `ResourceDisk.EnableSwap` (code default n).
    public var resourceDiskEnableSwap: Bool { configuration.enablesSwap }
    /// `AutoUpdate.Enabled` (code default y).
    public var autoUpdateEnabled: Bool { configuration.autoUpdateEnabled }
}
