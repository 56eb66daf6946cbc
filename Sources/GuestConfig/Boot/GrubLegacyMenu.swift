/// A GRUB legacy menu (`/boot/grub/menu.lst`, `/boot/grub/grub.conf`, `/etc/grub.conf`).
///
/// Global commands (`default`, `timeout`, `hiddenmenu`, …) come before the first `title`; each `title`
/// starts a boot entry whose commands (`root`, `kernel`, `initrd`, `module`, …) follow it. Commands may be
/// written `default 0` or `default=0`; both are read, and a new global command is written in the style the
/// file already uses.
public struct GrubLegacyMenu: Sendable {
    /// One `title` block.
    public struct Entry: Sendable, Hashable {
        /// The 0-based position, as GRUB legacy's `default` counts.
        public var index: Int
        /// The text after `title`.
        public var title: String
        /// 0-based line index of the `title` line.
        public var titleLine: Int
        /// 0-based line indices of the block (title line included).
        public var lines: Range<Int>
        /// The `root` operand, e.g. `(hd0,0)`.
        public var root: String?
        /// The kernel image path of the first `kernel` command.
        public var kernel: String?
        /// The arguments of the first `kernel` command.
        public var kernelArguments: [KernelArgument]
        /// The `initrd` operand.
        public var initrd: String?
        /// 0-based line index of the first `kernel` command.
        public var kernelLine: Int?
    }

    /// The file being edited: path, original text, current lines and findings.
    public private(set) var editable: EditableDocument

    /// Parses `text`. Never fails: lines that are not understood are kept and reported.
    public init(_ text: String, path: String? = nil) {
        editable = EditableDocument(text, path: path)
    }

    /// The index of the first `title` line, or the line count.
    private var firstTitleLine: Int {
        document.lines.firstIndex { CommandLineParts($0.content, allowEquals: true).keyword == "title" }
            ?? document.lines.count
    }

    /// The boot entries, in order.
    public var entries: [Entry] {
        var result: [Entry] = []
        for (index, line) in document.lines.enumerated() {
            let parts = CommandLineParts(line.content, allowEquals: false)
            if parts.keyword == "title" {
                if let last = result.indices.last { result[last].lines = result[last].lines.lowerBound..<index }
                result.append(
                    Entry(
                        index: result.count, title: String(parts.rest), titleLine: index, lines: index..<(index + 1),
                        kernelArguments: []))
                continue
            }
            guard let last = result.indices.last else { continue }
            result[last].lines = result[last].lines.lowerBound..<(index + 1)
            let command = CommandLineParts(line.content, allowEquals: true)
            switch command.keyword {
            case "root" where result[last].root == nil:
                result[last].root = String(command.rest)
            case "kernel" where result[last].kernel == nil:
                let operand = KernelOperand(command.rest, skipOptions: true)
                result[last].kernel = String(operand.head)
                result[last].kernelArguments = KernelCommandLine(String(operand.arguments)).arguments
                result[last].kernelLine = index
            case "initrd" where result[last].initrd == nil:
                result[last].initrd = String(command.rest)
            default:
                break
            }
        }
        return result
    }

    /// The global command `name` before line `end` (the first `title` line when not given).
    private func globalCommand(_ name: String, before end: Int? = nil) -> (index: Int, parts: CommandLineParts)? {
        for index in 0..<(end ?? firstTitleLine) {
            let parts = CommandLineParts(document.lines[index].content, allowEquals: true)
            if parts.keyword == name { return (index, parts) }
        }
        return nil
    }

    /// The `default` operand (`0`, `saved`, …), or nil.
    public var defaultEntry: String? { globalCommand("default").map { String($0.parts.rest) } }
    /// The `timeout` in seconds, or nil when absent or not a number.
    public var timeout: Int? { globalCommand("timeout").flatMap { Int($0.parts.rest.prefix { !$0.isWhitespace }) } }
    /// True when `hiddenmenu` is present.
    public var isMenuHidden: Bool { globalCommand("hiddenmenu") != nil }

    /// Sets a global command's operand, inserting the command before the first entry when absent.
    @discardableResult
    mutating func setGlobal(_ name: String, _ operand: String) -> Bool {
        // The first title line is found once: each look-up below would otherwise parse every line again to find it.
        let end = firstTitleLine
        if let (index, parts) = globalCommand(name, before: end) {
            let content = String(parts.indentation) + name + String(parts.separator) + operand
            let changed = document.lines[index].content != content
            editable.document.replaceContent(at: index, with: content)
            return changed
        }
        editable.document.insert(name + usedSeparator(before: end) + operand, at: insertionPointForGlobal(before: end))
        return true
    }

    /// After the last global command before line `end` (the first entry), or at the top.
    private func insertionPointForGlobal(before end: Int) -> Int {
        var last: Int?
        for index in 0..<end where !CommandLineParts(document.lines[index].content).isCommentOrBlank {
            last = index
        }
        return last.map { $0 + 1 } ?? 0
    }

    /// `=` when the global commands before line `end` use it (`default=0`), otherwise a space.
    private func usedSeparator(before end: Int) -> String {
        for index in 0..<end {
            let parts = CommandLineParts(document.lines[index].content, allowEquals: true)
            if ["default", "timeout", "fallback", "splashimage"].contains(parts.keyword) {
                return parts.separator.contains("=") ? String(parts.separator) : " "
            }
        }
        return " "
    }

    /// Sets `timeout`. - Returns: true when the text changed.
    /// - Throws: `.invalidValue` for a negative value.
    @discardableResult
    public mutating func setTimeout(_ seconds: Int) throws(GuestConfigError) -> Bool {
        guard seconds >= 0 else {
            throw GuestConfigError(.invalidValue, "must be 0 or more", path: path, field: "timeout")
        }
        return setGlobal("timeout", String(seconds))
    }

    /// Sets `default` to an entry index. - Throws: `.invalidValue` when no such entry exists.
    @discardableResult
    public mutating func setDefaultEntry(_ index: Int) throws(GuestConfigError) -> Bool {
        guard index >= 0, index < entries.count else {
            throw GuestConfigError(
                .invalidValue, "there is no entry \(index) (the menu has \(entries.count))", path: path,
                field: "default")
        }
        return setGlobal("default", String(index))
    }

    /// Adds or removes `hiddenmenu`. - Returns: true when the text changed.
    @discardableResult
    public mutating func setMenuHidden(_ hidden: Bool) -> Bool {
        let end = firstTitleLine
        if let (index, _) = globalCommand("hiddenmenu", before: end) {
            guard !hidden else { return false }
            editable.document.lines.remove(at: index)
            return true
        }
        guard hidden else { return false }
        editable.document.insert("hiddenmenu", at: insertionPointForGlobal(before: end))
        return true
    }

    /// Applies `edit` to the `kernel` line of the selected entries.
    ///
    /// Entries without a `kernel` (chainloader) are skipped silently; Xen entries (kernel `xen.gz`, Linux in
    /// a `module` line) and `kernel` commands without an image path are skipped and reported.
    /// - Returns: one outcome per edited entry.
    @discardableResult
    public mutating func editKernelArguments(
        _ edit: KernelArgumentEdit, entries selection: BootEntrySelection = .all
    )
        -> [(entry: Int, outcome: KernelArgumentEdit.Outcome)]
    {
        var outcomes: [(entry: Int, outcome: KernelArgumentEdit.Outcome)] = []
        editDebianKernelOptions(edit, selection: selection)
        for entry in entries where selection.includes(index: entry.index, title: entry.title) {
            guard let line = entry.kernelLine else { continue }
            if let kernel = entry.kernel, kernel.contains("xen") {
                editable.findings.append(
                    ConfigFinding(
                        .warning, .skipped, line: line + 1,
                        "entry \(entry.index) (\(entry.title)) boots the Xen hypervisor; its Linux arguments are in a module line, not edited"
                    ))
                continue
            }
            let command = CommandLineParts(document.lines[line].content, allowEquals: true)
            let operand = KernelOperand(command.rest, skipOptions: true)
            // A `kernel` with no image path: arguments written after it would be read back as the path
            // (and the first one edited again on every run), so the line is left as it is.
            guard !operand.head.isEmpty, !operand.head.hasPrefix("--") else {
                editable.findings.append(
                    ConfigFinding(
                        .warning, .skipped, line: line + 1,
                        "entry \(entry.index) (\(entry.title)) has a kernel command without an image path; not edited"))
                continue
            }
            let (newOperand, outcome) = operand.applying(edit)
            if outcome.changed {
                editable.document.replaceContent(
                    at: line,
                    with: String(command.indentation) + command.keyword + command.separator + newOperand)
            }
            outcomes.append((entry.index, outcome))
        }
        return outcomes
    }

    /// Debian/Ubuntu's legacy `update-grub` regenerates entries from the `# kopt=` magic comment, so an edit
    /// of every entry edits it too (otherwise the next update-grub would undo the edit).
    private mutating func editDebianKernelOptions(_ edit: KernelArgumentEdit, selection: BootEntrySelection) {
        let marker = "# kopt="
        for index in document.lines.indices where document.lines[index].content.hasPrefix(marker) {
            guard selection == .all else {
                editable.findings.append(
                    ConfigFinding(
                        .info, .skipped, line: index + 1,
                        "the update-grub kopt line applies to every entry; not edited for a selection of entries"))
                continue
            }
            let arguments = String(document.lines[index].content.dropFirst(marker.count))
            let outcome = edit.apply(to: arguments)
            if outcome.changed { editable.document.replaceContent(at: index, with: marker + outcome.commandLine) }
        }
    }
}
