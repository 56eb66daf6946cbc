/// `/etc/default/grub`: the shell-variable file `grub-mkconfig` reads.
///
/// Kernel arguments live in `GRUB_CMDLINE_LINUX` (every entry, recovery included) and
/// `GRUB_CMDLINE_LINUX_DEFAULT` (normal entries only). Removals apply to both. An addition that replaces an
/// existing argument of the same name is made where that argument is, so no stale value is left in the other
/// variable; other additions go to `GRUB_CMDLINE_LINUX` (created when missing). Quoting (`"…"`, `'…'` or
/// bare) is kept.
///
/// The drop-ins `/etc/default/grub.d/*.cfg` (Ubuntu cloud images set `GRUB_CMDLINE_LINUX_DEFAULT` in
/// `50-cloudimg-settings.cfg`) are sourced after the main file and override it, so they are edited with
/// `createMissing: false`: only variables they already set are changed, because a new assignment there
/// would replace the main file's value.
public struct Grub2Defaults: Sendable {
    /// Arguments for every entry, recovery included.
    public static let commandLineKey = "GRUB_CMDLINE_LINUX"
    /// Arguments for normal entries only.
    public static let defaultCommandLineKey = "GRUB_CMDLINE_LINUX_DEFAULT"
    /// The menu timeout in seconds.
    public static let timeoutKey = "GRUB_TIMEOUT"

    /// The underlying shell-variable file.
    public private(set) var file: ShellVariableFile
    private var editFindings: [ConfigFinding] = []

    /// Parses `text`; never fails.
    public init(_ text: String, path: String? = nil) { file = ShellVariableFile(text, path: path) }

    /// The text after the edits made so far.
    public var text: String { file.text }
    /// The original and edited text, with the findings.
    public var result: ConfigEditResult {
        var r = file.result
        r.findings += editFindings
        return r
    }

    /// `GRUB_CMDLINE_LINUX` as arguments.
    public var commandLine: [KernelArgument] { KernelCommandLine(file.value(of: Self.commandLineKey) ?? "").arguments }
    /// `GRUB_CMDLINE_LINUX_DEFAULT` as arguments.
    public var defaultCommandLine: [KernelArgument] {
        KernelCommandLine(file.value(of: Self.defaultCommandLineKey) ?? "").arguments
    }
    /// `GRUB_TIMEOUT`, when it is a number.
    public var timeout: Int? { file.value(of: Self.timeoutKey).flatMap { Int($0) } }

    /// Sets `GRUB_TIMEOUT`. - Throws: `.invalidValue` for a negative number.
    @discardableResult
    public mutating func setTimeout(_ seconds: Int) throws(GuestConfigError) -> Bool {
        guard seconds >= 0 else {
            throw GuestConfigError(.invalidValue, "must be 0 or more", path: file.path, field: Self.timeoutKey)
        }
        return try file.set(Self.timeoutKey, to: String(seconds))
    }

    /// Applies `edit` as described in the type's discussion.
    /// - Returns: one outcome per variable that the edit concerned.
    @discardableResult
    public mutating func editKernelArguments(
        _ edit: KernelArgumentEdit, createMissing: Bool = true
    )
        -> [(key: String, outcome: KernelArgumentEdit.Outcome)]
    {
        let keys = [Self.commandLineKey, Self.defaultCommandLineKey]
        var values: [String: String] = [:]
        // Values with `$VAR` are edited in their raw double-quoted text so the references keep working.
        var rawDoubleQuoted: Set<String> = []
        for key in keys {
            guard let a = file.assignment(of: key) else { continue }
            values[key] = a.value
            guard a.hasExpansion else { continue }
            if a.quoteStyle == .double, !edit.additions.contains(where: { $0.text.contains("\"") }) {
                rawDoubleQuoted.insert(key)
                values[key] = String(a.rawValue.dropFirst().dropLast())
                editFindings.append(
                    ConfigFinding(
                        .info, .variableReference, line: a.lineIndex + 1,
                        "\(key) refers to other variables; those references are left alone"))
            } else {
                values[key] = nil
                editFindings.append(
                    ConfigFinding(
                        .warning, .skipped, line: a.lineIndex + 1,
                        "\(key) is built from other variables in a form this editor does not rewrite; not edited"))
            }
        }
        // Additions go where an argument of the same name already is, else to GRUB_CMDLINE_LINUX (when it
        // may be created or exists), else to GRUB_CMDLINE_LINUX_DEFAULT.
        let fallback: Int? =
            createMissing || values[Self.commandLineKey] != nil
            ? 0 : (values[Self.defaultCommandLineKey] != nil ? 1 : nil)
        let edits = edit.distributed(over: keys.map { values[$0] }, fallback: fallback)
        var outcomes: [(key: String, outcome: KernelArgumentEdit.Outcome)] = []
        for (index, key) in keys.enumerated() {
            let keyEdit = edits[index]
            guard values[key] != nil || !keyEdit.additions.isEmpty else { continue }
            if file.assignment(of: key) != nil, values[key] == nil { continue }  // skipped above
            let outcome = keyEdit.apply(to: values[key] ?? "")
            if rawDoubleQuoted.contains(key) {
                if outcome.changed { _ = file.setRawValue(key, to: "\"" + outcome.commandLine + "\"") }
            } else if outcome.changed || values[key] == nil {
                // Arguments are validated not to contain newlines, so set cannot fail here.
                _ = try? file.set(key, to: outcome.commandLine)
            }
            outcomes.append((key, outcome))
        }
        return outcomes
    }
}
