/// A kernel command line split into arguments, with the exact whitespace between them kept.
///
/// Arguments are separated by spaces or tabs; a double-quoted part may contain spaces
/// (`dyndbg="file foo.c +p"`), as the kernel's `next_arg` allows. Editing an argument changes only that
/// argument's text; removing one removes it and the whitespace before it; additions are joined with one space.
/// Everything after a bare `--` belongs to init, so additions are placed before it and removals never look
/// past it.
public struct KernelCommandLine: Sendable, Hashable, CustomStringConvertible {
    /// Whitespace before the first argument.
    public var leading: String
    /// The arguments with the whitespace that follows each.
    public var items: [(argument: KernelArgument, trailing: String)]

    /// Equal when the two lines read the same text (whitespace included).
    public static func == (lhs: KernelCommandLine, rhs: KernelCommandLine) -> Bool {
        lhs.description == rhs.description
    }
    /// Hashes the line's text, as `==` compares it.
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    /// Parses `text`; never fails (unbalanced quotes run to the end, as in the kernel).
    public init(_ text: String) {
        var leading = ""
        var items: [(argument: KernelArgument, trailing: String)] = []
        var token = ""
        var gap = ""
        var inQuotes = false
        for character in text {
            let isSpace = character == " " || character == "\t"
            if isSpace && !inQuotes {
                gap.append(character)
                continue
            }
            if !gap.isEmpty {
                if token.isEmpty && items.isEmpty {
                    leading = gap
                } else {
                    items.append((KernelArgument(token), gap))
                    token = ""
                }
                gap = ""
            }
            if character == "\"" { inQuotes.toggle() }
            token.append(character)
        }
        if !token.isEmpty {
            items.append((KernelArgument(token), gap))
        } else if items.isEmpty {
            leading = gap
        } else {
            items[items.count - 1].trailing += gap
        }
        self.leading = leading
        self.items = items
    }

    /// The arguments in order.
    public var arguments: [KernelArgument] { items.map(\.argument) }

    /// The command line text.
    public var description: String {
        var out = leading
        for item in items {
            out += item.argument.text
            out += item.trailing
        }
        return out
    }

    /// The index of a bare `--`, or `items.count` when there is none.
    var initSeparatorIndex: Int {
        items.firstIndex { $0.argument.text == "--" } ?? items.count
    }

    /// Removes the argument at `index` and the whitespace that separated it from the previous one.
    mutating func remove(at index: Int) {
        if index > 0 {
            // The previous item's trailing gap separated it from this one; this one's trailing gap takes its place.
            items[index - 1].trailing = items[index].trailing
        } else if items.count == 1 {
            // Keep trailing whitespace (for example before a closing quote's context) as it was.
            leading += items[index].trailing
        }
        items.remove(at: index)
    }

    /// Inserts an argument before the `--` separator (or at the end), separated by one space.
    /// An argument with an unbalanced quote (which runs to the end of the line, so it can only be the last one)
    /// keeps its place at the end: an argument added after it would read back as part of it.
    mutating func insert(_ argument: KernelArgument) {
        var index = initSeparatorIndex
        if index > 0, index == items.count, items[index - 1].argument.text.count(where: { $0 == "\"" }) % 2 == 1 {
            index -= 1
        }
        if index == 0 {
            if items.isEmpty {
                items.append((argument, ""))
                // A line made of whitespace only: keep that whitespace after the argument.
                items[0].trailing = leading
                leading = ""
            } else {
                items.insert((argument, " "), at: 0)
            }
            return
        }
        let previous = index - 1
        let trailing = items[previous].trailing
        items[previous].trailing = " "
        items.insert((argument, trailing), at: index)
    }
}
