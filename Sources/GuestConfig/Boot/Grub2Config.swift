/// A generated GRUB 2 configuration (`grub.cfg`), patched in place because `grub-mkconfig` cannot run
/// offline.
///
/// Only the kernel lines are edited: `linux`, `linux16` and `linuxefi` commands (any indentation). The kernel
/// path and every argument not named by the edit stay as written; variable references such as
/// `$vt_handoff` are left alone and reported.
public struct Grub2Config: Sendable {
    /// The commands whose operand is "KERNEL-PATH ARGUMENTS".
    public static let kernelCommands: Set<String> = ["linux", "linux16", "linuxefi"]

    /// The file being edited: path, original text, current lines and findings.
    public private(set) var editable: EditableDocument

    /// Parses `text`. Never fails: lines that are not understood are kept and reported.
    public init(_ text: String, path: String? = nil) {
        editable = EditableDocument(text, path: path)
    }

    /// One kernel line.
    public struct KernelLine: Sendable, Hashable {
        /// 0-based line index.
        public var lineIndex: Int
        /// `linux`, `linux16` or `linuxefi`.
        public var command: String
        /// The kernel image path.
        public var kernel: String
        /// The arguments after the path.
        public var arguments: [KernelArgument]
        /// The title of the enclosing `menuentry`, when found.
        public var menuEntry: String?
    }

    /// Every kernel line, in order.
    public var kernelLines: [KernelLine] {
        var result: [KernelLine] = []
        var title: String?
        for (index, line) in document.lines.enumerated() {
            let parts = CommandLineParts(line.content)
            if parts.keyword == "menuentry" { title = Grub2Config.menuTitle(parts.rest) }
            guard Grub2Config.kernelCommands.contains(String(parts.keyword)) else { continue }
            let operand = KernelOperand(parts.rest, skipOptions: false)
            result.append(
                KernelLine(
                    lineIndex: index, command: String(parts.keyword), kernel: String(operand.head),
                    arguments: KernelCommandLine(String(operand.arguments)).arguments, menuEntry: title))
        }
        return result
    }

    static func menuTitle(_ rest: Substring) -> String? {
        guard let quote = rest.first, quote == "'" || quote == "\"" else {
            return rest.split(separator: " ").first.map(String.init)
        }
        let body = rest.dropFirst()
        return body.firstIndex(of: quote).map { String(body[..<$0]) }
    }

    /// Applies `edit` to every kernel line. - Returns: one outcome per kernel line.
    @discardableResult
    public mutating func editKernelArguments(
        _ edit: KernelArgumentEdit
    ) -> [(
        line: Int, outcome: KernelArgumentEdit.Outcome
    )] {
        var outcomes: [(line: Int, outcome: KernelArgumentEdit.Outcome)] = []
        for kernelLine in kernelLines {
            let index = kernelLine.lineIndex
            let parts = CommandLineParts(document.lines[index].content)
            let operand = KernelOperand(parts.rest, skipOptions: false)
            for variable in kernelLine.arguments where variable.isVariableReference {
                editable.findings.append(
                    ConfigFinding(
                        .info, .variableReference, line: index + 1, "\(variable) is a grub variable; left alone"))
            }
            let (newOperand, outcome) = operand.applying(edit)
            if outcome.changed {
                editable.document.replaceContent(
                    at: index, with: String(parts.indentation) + parts.keyword + parts.separator + newOperand)
            }
            outcomes.append((index + 1, outcome))
        }
        outcomes += editKerneloptsFallback(edit)
        return outcomes
    }

    /// RHEL 8's grub.cfg sets a fallback for BLS entries when grubenv has no `kernelopts`:
    /// `set kernelopts="root=… ro … "`. It is edited like grubenv's, so both stay consistent.
    private mutating func editKerneloptsFallback(
        _ edit: KernelArgumentEdit
    ) -> [(
        line: Int, outcome: KernelArgumentEdit.Outcome
    )] {
        var outcomes: [(line: Int, outcome: KernelArgumentEdit.Outcome)] = []
        let opening = "kernelopts=\""
        for index in document.lines.indices {
            let parts = CommandLineParts(document.lines[index].content)
            guard parts.keyword == "set", parts.rest.hasPrefix(opening) else { continue }
            let afterOpening = parts.rest.dropFirst(opening.count)
            guard let closing = afterOpening.lastIndex(of: "\""),
                afterOpening[afterOpening.index(after: closing)...].allSatisfy({ $0 == " " || $0 == "\t" }),
                !afterOpening[..<closing].contains("\"")
            else {
                editable.findings.append(
                    ConfigFinding(
                        .warning, .skipped, line: index + 1, "set kernelopts in a form not understood; not edited"))
                continue
            }
            // Quotes inside the value would end it early: additions with quotes are not put there.
            var lineEdit = edit
            lineEdit.additions.removeAll { $0.text.contains("\"") }
            let outcome = lineEdit.apply(to: String(afterOpening[..<closing]))
            if outcome.changed {
                let content =
                    String(parts.indentation) + parts.keyword + parts.separator + opening + outcome.commandLine
                    + afterOpening[closing...]
                editable.document.replaceContent(at: index, with: content)
            }
            outcomes.append((index + 1, outcome))
        }
        return outcomes
    }

    /// Sets every `set timeout=N` command (each on its own line, any indentation, `N` bare or in double
    /// quotes). `timeout_style` and a timeout inside a one-line `if … then set timeout=…` are left alone.
    /// - Returns: true when the text changed.
    /// - Throws: `.invalidValue` for a negative number.
    @discardableResult
    public mutating func setTimeout(_ seconds: Int) throws(GuestConfigError) -> Bool {
        guard seconds >= 0 else {
            throw GuestConfigError(.invalidValue, "must be 0 or more", path: path, field: "timeout")
        }
        var changed = false
        for index in document.lines.indices {
            let parts = CommandLineParts(document.lines[index].content)
            guard parts.keyword == "set", parts.rest.hasPrefix("timeout=") else { continue }
            let operand = parts.rest.dropFirst("timeout=".count)
            let quoted = operand.hasPrefix("\"")
            let body = quoted ? operand.dropFirst().prefix { $0 != "\"" } : operand.prefix { !$0.isWhitespace }
            guard Int(body) != nil else {
                editable.findings.append(
                    ConfigFinding(.warning, .skipped, line: index + 1, "set timeout with a value that is not a number"))
                continue
            }
            let rest = operand.dropFirst(body.count + (quoted ? 2 : 0))
            let value = quoted ? "\"\(seconds)\"" : String(seconds)
            let content =
                String(parts.indentation) + parts.keyword + parts.separator + "timeout=" + value + String(rest)
            if content != document.lines[index].content {
                editable.document.replaceContent(at: index, with: content)
                changed = true
            }
        }
        return changed
    }

    /// The `set timeout=N` values, in order.
    public var timeouts: [Int] {
        document.lines.compactMap { line in
            let parts = CommandLineParts(line.content)
            guard parts.keyword == "set", parts.rest.hasPrefix("timeout=") else { return nil }
            return Int(parts.rest.dropFirst("timeout=".count).filter { $0 != "\"" }.prefix { !$0.isWhitespace })
        }
    }
}
