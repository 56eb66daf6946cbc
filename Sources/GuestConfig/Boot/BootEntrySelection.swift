/// Which boot entries an edit applies to.
public enum BootEntrySelection: Sendable, Hashable {
    /// Every entry.
    case all
    /// The entries at these 0-based positions (GRUB legacy counts `title` blocks from 0, as `default` does).
    case indices(Set<Int>)
    /// Entries whose title contains this text (case-sensitive).
    case titleContaining(String)

    func includes(index: Int, title: String) -> Bool {
        switch self {
        case .all: true
        case .indices(let set): set.contains(index)
        case .titleContaining(let text): title.contains(text)
        }
    }
}

/// Splits a line into its indentation, first word, the whitespace after it, and the rest.
struct CommandLineParts {
    var indentation: Substring
    var keyword: Substring
    var separator: Substring
    var rest: Substring

    init(_ line: String, allowEquals: Bool = false) {
        let body = line.drop { $0 == " " || $0 == "\t" }
        indentation = line[..<body.startIndex]
        let keywordEnd =
            body.firstIndex { $0 == " " || $0 == "\t" || (allowEquals && $0 == "=") } ?? body.endIndex
        keyword = body[..<keywordEnd]
        var afterKeyword = body[keywordEnd...]
        let gap = afterKeyword.prefix { $0 == " " || $0 == "\t" }
        afterKeyword = afterKeyword[gap.endIndex...]
        if allowEquals, afterKeyword.first == "=" {
            let withEquals = afterKeyword.dropFirst()
            let gap2 = withEquals.prefix { $0 == " " || $0 == "\t" }
            separator = body[gap.startIndex..<gap2.endIndex]
            rest = withEquals[gap2.endIndex...]
        } else {
            separator = gap
            rest = afterKeyword
        }
    }

    /// True for a blank line or a `#` comment.
    var isCommentOrBlank: Bool { keyword.isEmpty || keyword.hasPrefix("#") }
}

/// Splits "PATH ARGS" (the operand of `kernel` or `linux`) into the path and the argument text
/// (which keeps its leading whitespace), skipping GRUB legacy's `--option` words before the path.
struct KernelOperand {
    var head: Substring
    var arguments: Substring

    init(_ operand: Substring, skipOptions: Bool) {
        var index = operand.startIndex
        while true {
            let wordEnd = operand[index...].firstIndex { $0 == " " || $0 == "\t" } ?? operand.endIndex
            let word = operand[index..<wordEnd]
            let next = operand[wordEnd...].firstIndex { $0 != " " && $0 != "\t" } ?? operand.endIndex
            if skipOptions, word.hasPrefix("--"), next < operand.endIndex {
                index = next
                continue
            }
            head = operand[..<wordEnd]
            arguments = operand[wordEnd...]
            return
        }
    }

    /// Applies `edit` to the arguments and returns the new operand text.
    func applying(_ edit: KernelArgumentEdit) -> (String, KernelArgumentEdit.Outcome) {
        let outcome = edit.apply(to: String(arguments))
        var newArguments = outcome.commandLine
        if let first = newArguments.first, first != " ", first != "\t" { newArguments = " " + newArguments }
        return (String(head) + newArguments, outcome)
    }
}

extension KernelArgumentEdit.Outcome {
    /// A short sentence for reports: "added a b; removed c; replaced d=1 with d=2".
    public var summary: String {
        var parts: [String] = []
        if !added.isEmpty { parts.append("added " + added.map(\.text).joined(separator: " ")) }
        if !removed.isEmpty { parts.append("removed " + removed.map(\.text).joined(separator: " ")) }
        if !replaced.isEmpty {
            parts.append("replaced " + replaced.map { "\($0.old) with \($0.new)" }.joined(separator: ", "))
        }
        return parts.isEmpty ? "unchanged" : parts.joined(separator: "; ")
    }
}
