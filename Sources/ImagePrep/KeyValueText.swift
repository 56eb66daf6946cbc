import GuestConfig

/// (Left for `ReadinessChecker` only, which changes on another branch at the same time; everything else uses
/// GuestConfig's ``ShellVariableFile`` directly. To be removed once that lands.)
///
/// A sysconfig-style `KEY=value` file (`ifcfg-eth0`, `/etc/sysconfig/network`, `/etc/default/grub`,
/// os-release), read and edited through GuestConfig's format-preserving ``ShellVariableFile`` — a small
/// adapter so plans can chain edits without handling that layer's errors at every call.
struct KeyValueText {
    private var file: ShellVariableFile

    init(_ contents: String) { file = ShellVariableFile(contents) }

    /// The effective value of `key` (quotes removed, last assignment wins).
    func value(_ key: String) -> String? { file.value(of: key) }

    /// The 1-based line of the effective assignment of `key`.
    func lineNumber(_ key: String) -> Int? { file.assignment(of: key).map { $0.lineIndex + 1 } }

    /// Sets `key` (the existing quote style kept; appended when absent). Keys and values are ours, so
    /// GuestConfig's validation cannot fail; if it ever did, the text is left unchanged.
    mutating func set(_ key: String, _ value: String) { _ = try? file.set(key, to: value) }

    /// Removes every assignment of `key`.
    mutating func unset(_ key: String) { file.unset(key) }

    var rendered: String { file.text }
}
