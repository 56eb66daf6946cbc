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
        // A text of one character per scalar is checked once, not again for each line and each helper.
        let atBytes = text.isOneCharacterPerScalar
        for (index, content) in ConfigText(text).contents.enumerated() {
            let lineAtBytes = atBytes || content.isOneCharacterPerScalar
            var words = content.words(atBytes: lineAtBytes)
            guard words.count >= 2 else { continue }
            let verb = words[0]
            let module = words[1]
            words.removeFirst(2)  // the arguments, in the array already made
            commands.append(
                Command(
                    verb: verb, module: module, arguments: words, line: index + 1,
                    text: content.trimmingSpaces(atBytes: lineAtBytes)))
        }
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
