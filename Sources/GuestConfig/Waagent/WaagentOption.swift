/// The type of a waagent.conf option, as the agent's `conf.py` reads it.
public enum WaagentOptionType: Sendable, Hashable {
    /// `y` or `n` (case-insensitive; anything else means the default).
    case boolean
    /// A decimal integer (anything else means the default).
    case integer(ClosedRange<Int>)
    /// Free text.
    case string
    /// One of a fixed set of words.
    case choice([String])
}

/// The typed value of an option.
public enum WaagentValue: Sendable, Hashable, CustomStringConvertible {
    case boolean(Bool)
    case integer(Int)
    case string(String)
    /// The agent's default is `None` (no value).
    case none

    /// The value as waagent.conf spells it (`y`/`n`, digits, the text; `None`).
    public var description: String {
        switch self {
        case .boolean(let b): b ? "y" : "n"
        case .integer(let i): String(i)
        case .string(let s): s
        case .none: "None"
        }
    }
}

/// One option the agent knows: its key, type and the default `conf.py` uses when the key is absent.
public struct WaagentOption: Sendable, Hashable {
    /// The key, as in the file (case-sensitive, like the agent).
    public var key: String
    /// How the agent reads the value.
    public var type: WaagentOptionType
    /// The code default (WALinuxAgent `conf.py`), not the value a distribution's sample file sets.
    public var defaultValue: WaagentValue

    /// An option.
    public init(_ key: String, _ type: WaagentOptionType, default defaultValue: WaagentValue) {
        self.key = key
        self.type = type
        self.defaultValue = defaultValue
    }

    /// Checks a value the caller wants to write.
    func validate(_ value: String) throws(GuestConfigError) {
        switch type {
        case .boolean:
            guard value == "y" || value == "n" else {
                throw GuestConfigError(.invalidValue, "must be y or n", field: key)
            }
        case .integer(let range):
            guard let number = Int(value), range.contains(number) else {
                throw GuestConfigError(
                    .invalidValue, "must be an integer in \(range.lowerBound)...\(range.upperBound)", field: key)
            }
        case .choice(let words):
            guard words.contains(value) else {
                throw GuestConfigError(.invalidValue, "must be one of " + words.joined(separator: "|"), field: key)
            }
        case .string:
            guard !value.contains("#"), !value.contains(where: \.isNewline) else {
                throw GuestConfigError(.invalidValue, "a value may not contain '#' or a newline", field: key)
            }
        }
    }

    /// The value the agent ends up with when the file says `raw` (nil: absent), per conf.py's readers.
    func effectiveValue(raw: String?) -> WaagentValue {
        guard let raw else { return defaultValue }
        switch type {
        case .boolean:
            switch raw.lowercased() {
            case "y": return .boolean(true)
            case "n": return .boolean(false)
            default: return defaultValue
            }
        case .integer:
            return Int(raw).map(WaagentValue.integer) ?? defaultValue
        case .string, .choice:
            return .string(raw)
        }
    }

    /// A finding when the file's value is one the agent will not honour.
    func problem(raw: String) -> String? {
        switch type {
        case .boolean:
            return ["y", "n"].contains(raw.lowercased())
                ? nil : "'\(raw)' is not y or n; the agent uses its default \(defaultValue)"
        case .integer(let range):
            guard let number = Int(raw) else {
                return "'\(raw)' is not a number; the agent uses its default \(defaultValue)"
            }
            return range.contains(number) ? nil : "\(number) is outside \(range.lowerBound)...\(range.upperBound)"
        case .choice(let words):
            return words.contains(raw) ? nil : "'\(raw)' is not one of " + words.joined(separator: "|")
        case .string:
            return nil
        }
    }
}

extension WaagentOption {
    private static let anyInt: ClosedRange<Int> = 0...Int(Int32.max)
    private static let period: ClosedRange<Int> = 1...Int(Int32.max)

    /// The options of WALinuxAgent 2.x `conf.py` (switch, string and integer tables) plus the enums its code
    /// accepts, with its code defaults (generalize.md §a.8).
    public static let known: [WaagentOption] = [
        // Switches.
        .init("OS.AllowHTTP", .boolean, default: .boolean(false)),
        .init("OS.EnableFirewall", .boolean, default: .boolean(false)),
        .init("OS.EnableFIPS", .boolean, default: .boolean(false)),
        .init("OS.EnableRDMA", .boolean, default: .boolean(false)),
        .init("OS.UpdateRdmaDriver", .boolean, default: .boolean(false)),
        .init("OS.CheckRdmaDriver", .boolean, default: .boolean(false)),
        .init("Logs.Verbose", .boolean, default: .boolean(false)),
        .init("Logs.Console", .boolean, default: .boolean(true)),
        .init("Logs.Collect", .boolean, default: .boolean(true)),
        .init("Extensions.Enabled", .boolean, default: .boolean(true)),
        .init("Provisioning.AllowResetSysUser", .boolean, default: .boolean(false)),
        .init("Provisioning.RegenerateSshHostKeyPair", .boolean, default: .boolean(false)),
        .init("Provisioning.DeleteRootPassword", .boolean, default: .boolean(false)),
        .init("Provisioning.DecodeCustomData", .boolean, default: .boolean(false)),
        .init("Provisioning.ExecuteCustomData", .boolean, default: .boolean(false)),
        .init("Provisioning.MonitorHostName", .boolean, default: .boolean(false)),
        .init("DetectScvmmEnv", .boolean, default: .boolean(false)),
        .init("ResourceDisk.Format", .boolean, default: .boolean(false)),
        .init("ResourceDisk.EnableSwap", .boolean, default: .boolean(false)),
        .init("ResourceDisk.EnableSwapEncryption", .boolean, default: .boolean(false)),
        .init("AutoUpdate.Enabled", .boolean, default: .boolean(true)),
        .init("AutoUpdate.UpdateToLatestVersion", .boolean, default: .boolean(true)),
        .init("EnableOverProvisioning", .boolean, default: .boolean(true)),
        .init("CGroups.Enabled", .boolean, default: .boolean(true)),
        .init("Monitor.NetworkConfigurationChanges", .boolean, default: .boolean(false)),
        // Old (pre-2.2) provisioning switches some distributions still ship.
        .init("Provisioning.Enabled", .boolean, default: .boolean(true)),
        .init("Provisioning.UseCloudInit", .boolean, default: .boolean(false)),
        .init("OS.PersistentNetNames", .boolean, default: .boolean(false)),
        // Strings.
        .init("Lib.Dir", .string, default: .string("/var/lib/waagent")),
        .init("DVD.MountPoint", .string, default: .string("/mnt/cdrom/secure")),
        .init("Pid.File", .string, default: .string("/var/run/waagent.pid")),
        .init("Extension.LogDir", .string, default: .string("/var/log/azure")),
        .init("OS.OpensslPath", .string, default: .string("/usr/bin/openssl")),
        .init("OS.SshDir", .string, default: .string("/etc/ssh")),
        .init("OS.HomeDir", .string, default: .string("/home")),
        .init("OS.PasswordPath", .string, default: .string("/etc/shadow")),
        .init("OS.SudoersDir", .string, default: .string("/etc/sudoers.d")),
        .init("OS.RootDeviceScsiTimeout", .string, default: .none),
        .init("Provisioning.Agent", .choice(["auto", "waagent", "cloud-init", "disabled"]), default: .string("auto")),
        .init(
            "Provisioning.SshHostKeyPairType", .choice(["rsa", "dsa", "ecdsa", "ed25519", "auto"]),
            default: .string("rsa")),
        .init("Provisioning.PasswordCryptId", .choice(["1", "2a", "5", "6"]), default: .string("6")),
        .init("HttpProxy.Host", .string, default: .none),
        .init("ResourceDisk.MountPoint", .string, default: .string("/mnt/resource")),
        .init("ResourceDisk.MountOptions", .string, default: .none),
        .init(
            "ResourceDisk.Filesystem", .choice(["ext3", "ext4", "xfs", "btrfs", "ufs", "ufs2"]),
            default: .string("ext3")),
        .init("AutoUpdate.GAFamily", .string, default: .string("Prod")),
        // Integers.
        .init("Extensions.GoalStatePeriod", .integer(period), default: .integer(6)),
        .init("Extensions.InitialGoalStatePeriod", .integer(period), default: .integer(6)),
        .init("Extensions.GoalStateHistoryCleanupPeriod", .integer(period), default: .integer(1800)),
        .init("OS.EnableFirewallPeriod", .integer(period), default: .integer(30)),
        .init("OS.RemovePersistentNetRulesPeriod", .integer(period), default: .integer(30)),
        .init("OS.RootDeviceScsiTimeoutPeriod", .integer(period), default: .integer(30)),
        .init("OS.MonitorDhcpClientRestartPeriod", .integer(period), default: .integer(30)),
        .init("OS.SshClientAliveInterval", .integer(anyInt), default: .integer(180)),
        .init("Provisioning.MonitorHostNamePeriod", .integer(period), default: .integer(30)),
        .init("Provisioning.PasswordCryptSaltLength", .integer(anyInt), default: .integer(10)),
        .init("HttpProxy.Port", .integer(0...65535), default: .none),
        .init("ResourceDisk.SwapSizeMB", .integer(anyInt), default: .integer(0)),
        .init("Autoupdate.Frequency", .integer(period), default: .integer(3600)),
        .init("Logs.CollectPeriod", .integer(period), default: .integer(3600)),
    ]

    /// `known` by key.
    public static let byKey: [String: WaagentOption] = Dictionary(
        known.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
}
