/// `/etc/default/grub`: the shell-variable file `grub-mkconfig` reads.
///
/// Kernel arguments live in `GRUB_CMDLINE_LINUX` (every entry, recovery included) and
/// `GRUB_CMDLINE_LINUX_DEFAULT` (normal entries only). Removals apply to both. An addition that replaces an
/// existing argument of the same name is made where that argument is, so no stale value is left in the other
/// variable; other additions go to `GRUB_CMDLINE_LINUX` (created when missing). Quoting (`"…"`, `'…'` or
/// bare) is kept.
public struct Grub2Defaults: Sendable {
    public static let commandLineKey = "GRUB_CMDLINE_LINUX"
    public static let defaultCommandLineKey = "GRUB_CMDLINE_LINUX_DEFAULT"
    public static let timeoutKey = "GRUB_TIMEOUT"

    public private(set) var file: ShellVariableFile
    private var editFindings: [ConfigFinding] = []

    public init(_ text: String, path: String? = nil) { file = ShellVariableFile(text, path: path) }

    public var text: String { file.text }
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
    public mutating func editKernelArguments(_ edit: KernelArgumentEdit) -> [(key: String, outcome: KernelArgumentEdit.Outcome)] {
        let keys = [Self.commandLineKey, Self.defaultCommandLineKey]
        var values: [String: String] = [:]
        for key in keys {
            if let a = file.assignment(of: key) {
                values[key] = a.value
                if a.hasExpansion {
                    editFindings.append(
                        ConfigFinding(
                            .info, .variableReference, line: a.lineIndex + 1,
                            "\(key) refers to other variables; only its literal arguments are edited"))
                }
            }
        }
        // Decide, per addition, which variables receive it.
        var perKey: [String: (add: [String], remove: [String])] = [:]
        for key in keys { perKey[key] = ([], edit.removals.map(\.text)) }
        for addition in edit.additions {
            let repeatable = addition.value == nil || edit.repeatableNames.contains(addition.normalizedName)
            let holders = keys.filter { key in
                let arguments = KernelCommandLine(values[key] ?? "").arguments
                return repeatable
                    ? arguments.contains { $0.isSameArgument(as: addition) }
                    : arguments.contains { $0.hasSameName(as: addition) }
            }
            if holders.isEmpty { perKey[Self.commandLineKey]!.add.append(addition.text) }
            else { for key in holders { perKey[key]!.add.append(addition.text) } }
        }
        var outcomes: [(key: String, outcome: KernelArgumentEdit.Outcome)] = []
        for key in keys {
            let plan = perKey[key]!
            guard values[key] != nil || !plan.add.isEmpty else { continue }
            guard let keyEdit = try? KernelArgumentEdit(add: plan.add, remove: plan.remove, repeatableNames: edit.repeatableNames)
            else { continue }
            let outcome = keyEdit.apply(to: values[key] ?? "")
            if outcome.changed || values[key] == nil {
                // Arguments are validated not to contain newlines, so set cannot fail here.
                _ = try? file.set(key, to: outcome.commandLine)
            }
            outcomes.append((key, outcome))
        }
        return outcomes
    }
}
