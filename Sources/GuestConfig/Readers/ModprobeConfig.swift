/// A modprobe configuration file (`/etc/modprobe.d/*.conf`, modprobe.d(5)): one command per line
/// (`blacklist MODULE`, `install MODULE COMMAND...`, `options`, `alias`, ...), words separated by spaces or
/// tabs.
public struct ModprobeConfig: Sendable {
    /// One command line.
    public struct Command: Sendable, Hashable {
        /// The command word (`blacklist`, `install`, ...).
        public var verb: String
        /// The module the command names (the second word).
        public var module: String
        /// The words after the module (an `install` command's program and its arguments).
        public var arguments: [String]
        /// The 1-based line number.
        public var line: Int
        /// The line as written, without leading and trailing spaces and tabs.
        public var text: String
    }

    /// The commands with at least a verb and a module, in file order.
    public private(set) var commands: [Command] = []

    /// The programs an `install` command can run that load nothing: such a command disables the module.
    public static let noOpPrograms: Set<String> = ["/bin/true", "/bin/false", "/usr/bin/true", "/usr/bin/false"]

    /// Reads a file's text.
    public init(_ text: String) {
        // A text of one character per scalar is read at its bytes; another line by line, each line at its bytes
        // when it is one character per scalar itself.
        guard !text.isOneCharacterPerScalar else {
            commands = Self.commandsAtBytes(text)
            return
        }
        for (index, content) in ConfigText(text).contents.enumerated() {
            let lineAtBytes = content.isOneCharacterPerScalar
            var words = content.words(atBytes: lineAtBytes)
            guard words.count >= 2 else { continue }
            commands.append(
                Self.command(words: &words, line: index + 1, text: content.trimmingSpaces(atBytes: lineAtBytes)))
        }
    }

    /// The command of a line whose `words` (at least two) are the verb, the module and the arguments; the
    /// arguments are what is left of `words`, in the array already made.
    private static func command(words: inout [String], line: Int, text: String) -> Command {
        let verb = words[0]
        let module = words[1]
        words.removeFirst(2)
        return Command(verb: verb, module: module, arguments: words, line: line, text: text)
    }

    /// The commands of a text of one character per scalar, read at its bytes (lines cut as ``ConfigText`` cuts
    /// them, words split at spaces and tabs as `words` splits them): a line's words are counted before they are
    /// made, and only a command's become Strings.
    static func commandsAtBytes(_ text: String) -> [Command] {
        let bytes = Array(text.utf8)
        var commands: [Command] = []
        ConfigText.forEachLine(in: bytes) { index, start, end in
            let line = bytes[start..<end]
            let count = SpaceSeparatedWords.count(in: line)
            guard count >= 2, let first = line.firstIndex(where: { !SpaceSeparatedWords.isSeparator($0) }),
                let last = line.lastIndex(where: { !SpaceSeparatedWords.isSeparator($0) })
            else { return }
            var words = SpaceSeparatedWords.strings(in: line, capacity: count)
            commands.append(
                Self.command(words: &words, line: index + 1, text: String(decoding: bytes[first...last], as: UTF8.self))
            )
        }
        return commands
    }

    /// The commands that keep one of `modules` from loading: `blacklist MODULE`, or `install MODULE` running
    /// one of ``noOpPrograms`` (or no program at all).
    public func disabling(_ modules: Set<String>) -> [Command] {
        commands.filter { command in
            guard modules.contains(command.module) else { return false }
            switch command.verb {
            case "blacklist": return true
            case "install": return command.arguments.first.map { Self.noOpPrograms.contains($0) } ?? true
            default: return false
            }
        }
    }
}
