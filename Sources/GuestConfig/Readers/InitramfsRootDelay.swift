/// How an initramfs's own scripts use the `rootdelay=` kernel argument.
///
/// initramfs-tools' `/init` (Debian 12) runs `if [ "$ROOTDELAY" ]; then sleep "$ROOTDELAY"; fi` before it even
/// looks for the root device: every boot sleeps that long. Its `scripts/local` (and other initramfs
/// generators) take rootdelay as the longest wait for a root device that has not appeared yet, which is what
/// Azure's guides mean by `rootdelay=300`. Pure: it reads script texts it is given.
public struct InitramfsRootDelay: Sendable, Equatable {
    /// What the deciding script does with the value.
    public enum Behavior: String, Sendable, Codable {
        /// A `sleep` of the rootdelay value itself: every boot waits that long.
        case unconditionalSleep = "unconditional-sleep"
        /// rootdelay bounds a wait loop for the root device.
        case upperBound = "upper-bound"
    }

    /// What the initramfs does with rootdelay.
    public var behavior: Behavior
    /// The script (member name in the archive) and 1-based line that decided.
    public var script: String
    /// The 1-based line in ``script``.
    public var line: Int
    /// The line, trimmed.
    public var text: String

    /// Variable names scripts read rootdelay into.
    static let variables = ["ROOTDELAY", "rootdelay", "RootDelay"]

    /// The behavior the scripts show: an unconditional sleep anywhere wins; otherwise the first use of the
    /// variable; `nil` when no script uses it (the argument is then ignored by the initramfs).
    public static func classify(_ scripts: [(name: String, text: String)]) -> InitramfsRootDelay? {
        var bound: InitramfsRootDelay?
        for (name, text) in scripts {
            for (index, raw) in ConfigText(text).contents.enumerated() {
                let line = withoutComment(raw).trimmingSpaces
                guard !line.isEmpty, mentionsVariable(line) else { continue }
                if sleepsForVariable(line) {
                    return InitramfsRootDelay(behavior: .unconditionalSleep, script: name, line: index + 1, text: line)
                }
                if bound == nil, !isArgumentParsing(line) {
                    bound = InitramfsRootDelay(behavior: .upperBound, script: name, line: index + 1, text: line)
                }
            }
        }
        return bound
    }

    static func withoutComment(_ line: String) -> String {
        let trimmed = line.trimmingSpaces
        if trimmed.hasPrefix("#") { return "" }
        if let hash = line.firstIndex(of: "#"), hash != line.startIndex,
            line[line.index(before: hash)] == " " || line[line.index(before: hash)] == "\t"
        {
            return String(line[..<hash])
        }
        return line
    }

    static func references(_ variable: String) -> [String] {
        ["$" + variable, "${" + variable + "}", "${" + variable + ":"]
    }

    static func mentionsVariable(_ line: String) -> Bool {
        variables.contains { variable in references(variable).contains { line.contains($0) } }
    }

    /// The kernel-argument parsing itself (`rootdelay=*) ROOTDELAY="${x#rootdelay=}"`, a digits check) is not a use.
    static func isArgumentParsing(_ line: String) -> Bool {
        line.contains("#rootdelay=") || line.hasPrefix("case ") || line.contains("*[![:digit:]")
    }

    /// A `sleep` (or `/bin/sleep`) whose operand is the variable alone, quoted or not, as a command of the line
    /// (after `;`, `then`, `&&`, `||` too).
    static func sleepsForVariable(_ line: String) -> Bool {
        let separators: Set<Character> = [";", "&", "|"]
        var commands: [String] = []
        var current = ""
        for character in line {
            if separators.contains(character) {
                commands.append(current); current = ""
            } else {
                current.append(character)
            }
        }
        commands.append(current)
        for command in commands {
            var words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            while let first = words.first, ["then", "do", "else", "{", "(", "command", "exec"].contains(first) {
                words.removeFirst()
            }
            guard words.count == 2, words[0] == "sleep" || words[0].hasSuffix("/sleep") else { continue }
            let operand = words[1].filter { $0 != "\"" && $0 != "'" }
            if variables.contains(where: { operand == "$" + $0 || operand == "${" + $0 + "}" }) { return true }
        }
        return false
    }
}
