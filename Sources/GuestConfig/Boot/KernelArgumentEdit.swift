/// A change to kernel command lines: arguments to add and arguments to remove.
///
/// Rules, applied to each command line in this order:
/// 1. **Removal.** A bare name (`quiet`, `crashkernel`) removes every argument with that name, with or
///    without a value; `name=value` removes only that exact argument.
/// 2. **Addition.** `name=value` replaces the first argument with the same name in place and drops later
///    ones, unless the name may repeat (``repeatableNames``, for example `console`): then it is appended
///    unless the exact argument is already present. A flag (`quiet`) is appended unless present.
///
/// An argument that is also one of the additions is never removed (additions win), so `--remove console
/// --add console=ttyS0` keeps `console=ttyS0` and drops every other console. Two additions of one
/// non-repeatable name with different values are rejected.
///
/// Applying an edit twice gives the same text as applying it once.
public struct KernelArgumentEdit: Sendable, Hashable {
    /// Arguments to add, in order.
    public internal(set) var additions: [KernelArgument]
    /// Arguments (or bare names) to remove.
    public internal(set) var removals: [KernelArgument]
    /// Names that may appear more than once on a command line (compared with `-`/`_` folded).
    public internal(set) var repeatableNames: Set<String>

    /// Names the kernel or the initramfs accept several times.
    public static let defaultRepeatableNames: Set<String> = [
        "console", "ip", "nameserver", "rd.lvm.lv", "rd.luks.uuid", "rd.luks.name", "rd.md.uuid", "rd.dm.uuid",
        "rd.driver.pre", "rd.driver.blacklist", "memmap", "hugepagesz", "hugepages",
    ]

    /// The Azure requirements of generalize.md §a.7 for a generic distribution, as additions.
    public static let azureGeneric = try! KernelArgumentEdit(
        add: ["rootdelay=300", "console=ttyS0", "earlyprintk=ttyS0", "net.ifnames=0"],
        remove: ["rhgb", "quiet", "crashkernel=auto"])

    /// Creates an edit.
    ///
    /// - Throws: `GuestConfigError.invalidArgument` for an empty argument, one containing whitespace outside
    ///   double quotes, unbalanced quotes, a `$` (grub variable), or a bare `--`.
    public init(
        add: [String] = [], remove: [String] = [], repeatableNames: Set<String> = defaultRepeatableNames
    )
        throws(GuestConfigError)
    {
        additions = try add.map { (text) throws(GuestConfigError) in try KernelArgumentEdit.validate(text) }
        removals = try remove.map { (text) throws(GuestConfigError) in try KernelArgumentEdit.validate(text) }
        self.repeatableNames = Set(repeatableNames.map(KernelArgument.normalize))
        var unique: [KernelArgument] = []
        for addition in additions where !unique.contains(where: { $0.isSameArgument(as: addition) }) {
            let repeatable = self.repeatableNames.contains(addition.normalizedName)
            if !repeatable, let other = unique.first(where: { $0.hasSameName(as: addition) }) {
                throw GuestConfigError(
                    .invalidArgument, "conflicts with \(other), which is added too", field: addition.text)
            }
            unique.append(addition)
        }
        additions = unique
    }

    /// True when the edit adds and removes nothing.
    public var isEmpty: Bool { additions.isEmpty && removals.isEmpty }

    static func validate(_ text: String) throws(GuestConfigError) -> KernelArgument {
        let parsed = KernelCommandLine(text)
        guard parsed.items.count == 1, parsed.leading.isEmpty, parsed.items[0].trailing.isEmpty else {
            throw GuestConfigError(
                .invalidArgument, "a kernel argument must be one non-empty word (quote spaces with \"…\")",
                field: text)
        }
        guard text.filter({ $0 == "\"" }).count % 2 == 0 else {
            throw GuestConfigError(.invalidArgument, "unbalanced double quote in kernel argument", field: text)
        }
        guard !text.contains("$"), text != "--", !text.hasPrefix("=") else {
            throw GuestConfigError(
                .invalidArgument, "not an argument this tool adds or removes (variable, `--`, or no name)",
                field: text)
        }
        guard !text.contains(where: { $0 == "'" || $0 == "\\" || $0.isNewline }) else {
            throw GuestConfigError(.invalidArgument, "quotes ' and backslashes are not supported", field: text)
        }
        return parsed.items[0].argument
    }

    /// What one application changed.
    public struct Outcome: Sendable, Hashable {
        /// The edited command line.
        public var commandLine: String
        /// Arguments appended.
        public var added: [KernelArgument] = []
        /// Arguments removed.
        public var removed: [KernelArgument] = []
        /// Arguments replaced in place: (old, new).
        public var replaced: [Replacement] = []
        /// True when the text changed.
        public var changed: Bool

        /// An argument replaced in place.
        public struct Replacement: Sendable, Hashable {
            /// The argument that was there.
            public var old: KernelArgument
            /// The argument now there.
            public var new: KernelArgument
        }
    }

    /// Applies the edit to one command line (the arguments only, without a kernel path).
    public func apply(to commandLine: String) -> Outcome {
        var line = KernelCommandLine(commandLine)
        var outcome = Outcome(commandLine: commandLine, changed: false)
        for removal in removals {
            var index = 0
            // The arguments before `--` (the rest go to init); found once, not per argument (that was quadratic).
            var limit = line.initSeparatorIndex
            while index < limit {
                let argument = line.items[index].argument
                let matches =
                    (removal.value == nil ? argument.hasSameName(as: removal) : argument.isSameArgument(as: removal))
                    && !additions.contains { $0.isSameArgument(as: argument) }
                if matches {
                    outcome.removed.append(argument)
                    line.remove(at: index)
                    limit -= 1
                } else {
                    index += 1
                }
            }
        }
        for addition in additions {
            let limit = line.initSeparatorIndex
            let repeatable = repeatableNames.contains(addition.normalizedName)
            if addition.value == nil || repeatable {
                let present = line.items[..<limit].contains { $0.argument.isSameArgument(as: addition) }
                if !present {
                    line.insert(addition)
                    outcome.added.append(addition)
                }
                continue
            }
            let sameName = line.items[..<limit].indices.filter { line.items[$0].argument.hasSameName(as: addition) }
            guard let first = sameName.first else {
                line.insert(addition)
                outcome.added.append(addition)
                continue
            }
            let old = line.items[first].argument
            if old.text != addition.text {
                line.items[first].argument = addition
                outcome.replaced.append(.init(old: old, new: addition))
            }
            for index in sameName.dropFirst().reversed() {
                outcome.removed.append(line.items[index].argument)
                line.remove(at: index)
            }
        }
        outcome.commandLine = line.description
        outcome.changed = outcome.commandLine != commandLine
        return outcome
    }

    /// Splits this edit over several command lines that the kernel sees concatenated (the two
    /// `/etc/default/grub` variables, several BLS `options` lines): every line gets the removals; an addition
    /// goes to the lines that already hold an argument of that name (the exact argument for flags and
    /// repeatable names), so that no stale value is left elsewhere, or else to `fallback` (nil: dropped).
    ///
    /// - Returns: one edit per line, in order.
    public func distributed(over commandLines: [String?], fallback: Int?) -> [KernelArgumentEdit] {
        var perLine = commandLines.map { _ in
            KernelArgumentEdit(additions: [], removals: removals, repeatableNames: repeatableNames)
        }
        let parsed = commandLines.map { KernelCommandLine($0 ?? "").arguments }
        for addition in additions {
            let exactOnly = addition.value == nil || repeatableNames.contains(addition.normalizedName)
            let holders = parsed.indices.filter { index in
                commandLines[index] != nil
                    && parsed[index].contains {
                        exactOnly ? $0.isSameArgument(as: addition) : $0.hasSameName(as: addition)
                    }
            }
            if !holders.isEmpty {
                for index in holders { perLine[index].additions.append(addition) }
            } else if let fallback {
                perLine[fallback].additions.append(addition)
            }
        }
        return perLine
    }

    /// An edit from already validated parts.
    init(additions: [KernelArgument], removals: [KernelArgument], repeatableNames: Set<String>) {
        self.additions = additions
        self.removals = removals
        self.repeatableNames = repeatableNames
    }
}
