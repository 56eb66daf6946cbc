/// A Boot Loader Specification entry (`/boot/loader/entries/*.conf`, RHEL 8+ and Fedora).
///
/// The kernel arguments are on the `options` line. On RHEL 8 it usually reads `options $kernelopts
/// $tuned_params`, the arguments then living in grubenv's `kernelopts` (see ``GrubEnvironmentBlock``): such
/// references are left alone and reported, and with ``VariablePolicy/skipAdditions`` additions are not put on
/// the line either (they belong in grubenv, so they are not doubled).
public struct BootLoaderSpecEntry: Sendable {
    /// What to do with additions on an `options` line that references `$kernelopts`.
    public enum VariablePolicy: Sendable, Hashable {
        /// Add to the literal arguments anyway.
        case editLiteralArguments
        /// Only remove; additions go to grubenv's `kernelopts`.
        case skipAdditions
    }

    /// The file being edited: path, original text, current lines and findings.
    public private(set) var editable: EditableDocument

    /// Parses `text`. Never fails: lines that are not understood are kept and reported.
    public init(_ text: String, path: String? = nil) {
        editable = EditableDocument(text, path: path)
    }

    /// The value of the first line whose key is `key` (`title`, `version`, `linux`, `initrd`, `options`, …).
    public func value(of key: String) -> String? {
        lineIndex(of: key).map { String(CommandLineParts(document.lines[$0].content).rest) }
    }

    /// The 0-based index of the first line whose key is `key` (the line ``value(of:)`` reads), or nil.
    public func lineIndex(of key: String) -> Int? {
        document.lines.firstIndex { CommandLineParts($0.content).keyword == key }
    }

    /// The `options` arguments (variable references included, as written).
    public var options: [KernelArgument] { KernelCommandLine(value(of: "options") ?? "").arguments }

    /// True when `options` refers to `$kernelopts`.
    public var referencesKernelopts: Bool { options.contains { $0.text.contains("kernelopts") } }

    /// Applies `edit` to every `options` line (adding one when there is none and the edit adds).
    @discardableResult
    public mutating func editKernelArguments(
        _ edit: KernelArgumentEdit, variablePolicy: VariablePolicy = .editLiteralArguments
    ) -> [KernelArgumentEdit.Outcome] {
        var outcomes: [KernelArgumentEdit.Outcome] = []
        let optionLines = document.lines.indices.filter {
            CommandLineParts(document.lines[$0].content).keyword == "options"
        }
        let sawOptions = !optionLines.isEmpty
        // Several options lines are concatenated: additions go where the name already is, else to the last.
        let edits = edit.distributed(
            over: optionLines.map { String(CommandLineParts(document.lines[$0].content).rest) },
            fallback: optionLines.isEmpty ? nil : optionLines.count - 1)
        for (position, index) in optionLines.enumerated() {
            let parts = CommandLineParts(document.lines[index].content)
            var lineEdit = edits[position]
            let arguments = KernelCommandLine(String(parts.rest)).arguments
            for variable in arguments where variable.isVariableReference {
                editable.findings.append(
                    ConfigFinding(.info, .variableReference, line: index + 1, "\(variable) is left alone"))
            }
            if variablePolicy == .skipAdditions, arguments.contains(where: { $0.text.contains("kernelopts") }),
                !lineEdit.additions.isEmpty
            {
                lineEdit.additions = []
                editable.findings.append(
                    ConfigFinding(
                        .info, .skipped, line: index + 1,
                        "additions go to grubenv kernelopts, which this line includes through $kernelopts"))
            }
            let outcome = lineEdit.apply(to: String(parts.rest))
            if outcome.changed {
                let separator = parts.separator.isEmpty && !outcome.commandLine.isEmpty ? " " : String(parts.separator)
                editable.document.replaceContent(
                    at: index, with: String(parts.indentation) + parts.keyword + separator + outcome.commandLine)
            }
            outcomes.append(outcome)
        }
        if !sawOptions, !edit.additions.isEmpty {
            let outcome = edit.apply(to: "")
            editable.document.append("options " + outcome.commandLine)
            outcomes.append(outcome)
        }
        return outcomes
    }
}
