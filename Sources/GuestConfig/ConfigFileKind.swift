/// The kinds of `KEY=value` configuration files `config get/set/unset` edits.
public enum ConfigFileKind: String, Sendable, Hashable, CaseIterable {
    /// `/etc/waagent.conf` (and copies such as `/usr/share/oem/waagent.conf`).
    case waagent
    /// Shell-variable files: `/etc/sysconfig/…` (ifcfg-*, network, network/dhcp), `/etc/default/…`,
    /// `/etc/os-release`.
    case shellVariables

    /// Picks the editor for a guest path: a file named `waagent.conf` is waagent's; files under
    /// `/etc/sysconfig/` or `/etc/default/`, `ifcfg-*` anywhere, and os-release are shell-variable files.
    /// Returns nil for anything else.
    public static func detect(path: String) -> ConfigFileKind? {
        let name = path.split(separator: "/").last.map(String.init) ?? ""
        if name == "waagent.conf" { return .waagent }
        if name.hasPrefix("ifcfg-") || path.hasPrefix("/etc/sysconfig/") || path.hasPrefix("/etc/default/")
            || path == "/etc/os-release" || path == "/usr/lib/os-release"
        {
            return .shellVariables
        }
        return nil
    }
}

/// A uniform get/set/unset over ``WaagentConfiguration`` and ``ShellVariableFile``, chosen by path.
///
/// ```swift
/// var file = try KeyValueConfigFile(path: "/etc/waagent.conf", text: text)
/// try file.set("ResourceDisk.Format", to: "n")
/// print(file.result.unifiedDiff())
/// ```
public struct KeyValueConfigFile: Sendable {
    private enum Storage: Sendable {
        case waagent(WaagentConfiguration)
        case shell(ShellVariableFile)
    }

    private var storage: Storage
    /// Which editor is used.
    public let kind: ConfigFileKind
    /// The guest path, for messages and diff headers.
    public let path: String?

    /// Opens `text` with the editor for `kind`.
    public init(kind: ConfigFileKind, text: String, path: String? = nil) {
        self.kind = kind
        self.path = path
        switch kind {
        case .waagent: storage = .waagent(WaagentConfiguration(text, path: path))
        case .shellVariables: storage = .shell(ShellVariableFile(text, path: path))
        }
    }

    /// Opens `text` with the editor ``ConfigFileKind/detect(path:)`` picks.
    /// - Throws: `.unsupportedFile` when the path is not a known key/value file.
    public init(path: String, text: String) throws(GuestConfigError) {
        guard let kind = ConfigFileKind.detect(path: path) else {
            throw GuestConfigError(
                .unsupportedFile, "not a waagent.conf or sysconfig-style file; key/value edits are not supported",
                path: path)
        }
        self.init(kind: kind, text: text, path: path)
    }

    /// The value in effect for `key` as written in the file (nil when absent).
    public func value(of key: String) -> String? {
        switch storage {
        case .waagent(let conf): conf.value(of: key)
        case .shell(let file): file.value(of: key)
        }
    }

    /// For waagent.conf, what the agent will use including its code default; otherwise the value.
    public func effectiveValue(of key: String) -> String? {
        switch storage {
        case .waagent(let conf):
            let value = conf.effectiveValue(of: key)
            return value == .none ? nil : value.description
        case .shell(let file): return file.value(of: key)
        }
    }

    /// Sets one key. - Throws: what the underlying editor throws (invalid key or value).
    @discardableResult
    public mutating func set(_ key: String, to value: String) throws(GuestConfigError) -> Bool {
        switch storage {
        case .waagent(var conf):
            defer { storage = .waagent(conf) }
            return try conf.set(key, to: value)
        case .shell(var file):
            defer { storage = .shell(file) }
            return try file.set(key, to: value)
        }
    }

    /// Sets keys from `KEY=VALUE` words (split at the first `=`).
    /// - Throws: `.invalidArgument` for a word without `=`, then what ``set(_:to:)`` throws.
    public mutating func apply(assignments: [String]) throws(GuestConfigError) {
        for word in assignments {
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                throw GuestConfigError(.invalidArgument, "expected KEY=VALUE", path: path, field: word)
            }
            try set(String(word[..<equals]), to: String(word[word.index(after: equals)...]))
        }
    }

    /// Removes a key. - Returns: true when a line was removed.
    @discardableResult
    public mutating func unset(_ key: String) -> Bool {
        switch storage {
        case .waagent(var conf):
            defer { storage = .waagent(conf) }
            return conf.unset(key)
        case .shell(var file):
            defer { storage = .shell(file) }
            return file.unset(key)
        }
    }

    /// The text and findings after the edits so far.
    public var result: ConfigEditResult {
        switch storage {
        case .waagent(let conf): conf.result
        case .shell(let file): file.result
        }
    }
}
