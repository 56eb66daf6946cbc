/// The environment systemd gives every service: `DefaultEnvironment=` in the `[Manager]` section of
/// `/etc/systemd/system.conf` and `system.conf.d/*.conf` (read in that order; each assignment adds variables, an
/// empty one clears them). Values are space-separated `NAME=value` words, each optionally in double or single
/// quotes, as systemd's own `DefaultEnvironment=` and `Environment=` take them. Pure: it reads texts it is given.
public struct SystemdDefaultEnvironment: Sendable, Equatable {
    /// One variable and where it was set.
    public struct Variable: Sendable, Equatable {
        /// The value, quotes removed.
        public var value: String
        /// The file that set it last.
        public var path: String
        /// The 1-based line there.
        public var line: Int
    }

    /// The variables, by name.
    public private(set) var variables: [String: Variable] = [:]

    /// The environment the files give, in the order systemd reads them.
    public init(_ files: [(path: String, text: String)]) {
        for (path, text) in files {
            var section = ""
            // Each line is trimmed and looked at in place, as a slice of the text: few become Strings.
            ConfigText.forEachContent(of: text) { index, raw in
                let line = raw.trimmedWhitespace
                if line.hasPrefix("[") {
                    section = String(line.dropFirst().prefix { $0 != "]" })
                    return
                }
                guard section == "Manager", !line.hasPrefix("#"), !line.hasPrefix(";"),
                    let equals = line.firstIndex(of: "="), line[..<equals].trimmingSpaces == "DefaultEnvironment"
                else { return }
                let words = Self.words(String(line[line.index(after: equals)...]))
                if words.isEmpty { variables = [:] }
                for word in words {
                    guard let sign = word.firstIndex(of: "="), sign != word.startIndex else { continue }
                    variables[String(word[..<sign])] = Variable(
                        value: String(word[word.index(after: sign)...]), path: path, line: index + 1)
                }
            }
        }
    }

    /// `text` (a `system.conf` or drop-in) with `DefaultEnvironment="NAME=value"` added at the end of its
    /// `[Manager]` section (a `[Manager]` header is added when the file ends in another section or has none).
    public static func adding(_ name: String, value: String, to text: String) -> String {
        var lastSection: String?
        for raw in ConfigText(text).contents {
            let line = raw.trimmingWhitespace
            if line.hasPrefix("[") { lastSection = String(line.dropFirst().prefix { $0 != "]" }) }
        }
        var out = text
        if !out.isEmpty, !out.hasSuffix("\n") { out += "\n" }
        if lastSection != "Manager" { out += "[Manager]\n" }
        return out + "DefaultEnvironment=\"\(name)=\(value)\"\n"
    }

    /// Space-separated words, quotes removed (`"A=1 2" B=3` → `A=1 2`, `B=3`).
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var started = false
        for c in text {
            if let open = quote {
                if c == open { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
                started = true
            } else if c == " " || c == "\t" {
                if started { words.append(current) }
                current = ""
                started = false
            } else {
                current.append(c)
                started = true
            }
        }
        if started { words.append(current) }
        return words
    }
}
