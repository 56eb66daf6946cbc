/// How a shell-variable value is quoted in the file.
public enum ShellQuoteStyle: String, Sendable, Hashable {
    /// `KEY=value`
    case bare
    /// `KEY="value"`
    case double
    /// `KEY='value'`
    case single
    /// Several quoted and unquoted parts, for example `KEY="a"'b'c`.
    case mixed
}

/// Reading and writing one shell word the way `sh` reads an assignment's value.
///
/// Reading follows POSIX quoting: a backslash outside quotes escapes the next character; inside double quotes
/// it escapes only `$`, the backquote, `"`, `\` and newline; single quotes take everything literally. Expansions
/// (`$VAR`, backquoted commands, `$(cmd)`) are not performed: the value is returned as written and flagged.
public enum ShellValue {
    /// One parsed word.
    struct Word {
        var raw: String
        var value: String
        var style: ShellQuoteStyle
        var hasExpansion: Bool
        /// False when a quote was left open at the end of the line.
        var terminated: Bool
    }

    /// Parses the word at the start of `text`; returns it and the rest of the line after it.
    static func parseWord(_ text: Substring) -> (Word, Substring) {
        var value = ""
        var raw = ""
        var styles: Set<ShellQuoteStyle> = []
        var hasExpansion = false
        var index = text.startIndex
        var terminated = true
        var sawBarePart = false
        loop: while index < text.endIndex {
            let character = text[index]
            switch character {
            case " ", "\t", ";":
                break loop
            case "'":
                styles.insert(.single)
                raw.append(character)
                index = text.index(after: index)
                var closed = false
                while index < text.endIndex {
                    let inner = text[index]
                    raw.append(inner)
                    index = text.index(after: index)
                    if inner == "'" {
                        closed = true
                        break
                    }
                    value.append(inner)
                }
                if !closed { terminated = false }
            case "\"":
                styles.insert(.double)
                raw.append(character)
                index = text.index(after: index)
                var closed = false
                while index < text.endIndex {
                    let inner = text[index]
                    raw.append(inner)
                    index = text.index(after: index)
                    if inner == "\"" {
                        closed = true
                        break
                    }
                    if inner == "\\", index < text.endIndex {
                        let escaped = text[index]
                        raw.append(escaped)
                        index = text.index(after: index)
                        if "$`\"\\".contains(escaped) {
                            value.append(escaped)
                        } else {
                            value.append(inner)
                            value.append(escaped)
                        }
                        continue
                    }
                    if inner == "$" || inner == "`" { hasExpansion = true }
                    value.append(inner)
                }
                if !closed { terminated = false }
            case "`":
                // A command substitution: kept as written, never split at its spaces.
                sawBarePart = true
                hasExpansion = true
                raw.append(character)
                value.append(character)
                index = text.index(after: index)
                var closed = false
                while index < text.endIndex {
                    let inner = text[index]
                    raw.append(inner)
                    value.append(inner)
                    index = text.index(after: index)
                    if inner == "`" {
                        closed = true
                        break
                    }
                }
                if !closed { terminated = false }
            case "$" where text[text.index(after: index)...].first == "(":
                sawBarePart = true
                hasExpansion = true
                var depth = 0
                var closed = false
                while index < text.endIndex {
                    let inner = text[index]
                    raw.append(inner)
                    value.append(inner)
                    index = text.index(after: index)
                    if inner == "(" { depth += 1 }
                    if inner == ")" {
                        depth -= 1
                        if depth == 0 {
                            closed = true
                            break
                        }
                    }
                }
                if !closed { terminated = false }
            case "\\":
                sawBarePart = true
                raw.append(character)
                index = text.index(after: index)
                if index < text.endIndex {
                    raw.append(text[index])
                    value.append(text[index])
                    index = text.index(after: index)
                } else {
                    terminated = false  // a line continuation
                }
            default:
                sawBarePart = true
                if character == "$" || character == "`" { hasExpansion = true }
                raw.append(character)
                value.append(character)
                index = text.index(after: index)
            }
        }
        if sawBarePart { styles.insert(.bare) }
        let style: ShellQuoteStyle = styles.count == 1 ? styles.first! : (styles.isEmpty ? .bare : .mixed)
        return (
            Word(raw: raw, value: value, style: style, hasExpansion: hasExpansion, terminated: terminated),
            text[index...]
        )
    }

    /// Characters that never need quoting in a bare value.
    static func isSafeBare(_ value: String) -> Bool {
        !value.isEmpty
            && value.unicodeScalars.allSatisfy { scalar in
                switch scalar {
                case "a"..."z", "A"..."Z", "0"..."9": true
                case "_", ".", "/", ":", ",", "+", "=", "@", "%", "-": true
                default: false
                }
            }
    }

    /// Writes `value` so that `sh` reads it back exactly, in `style` when the value allows it.
    ///
    /// A bare value that needs quoting, and a single-quoted value that contains `'`, are written in double
    /// quotes instead; `.mixed` is written in double quotes.
    public static func quote(_ value: String, style: ShellQuoteStyle) -> String {
        switch style {
        case .bare where isSafeBare(value):
            return value
        case .single where !value.contains("'"):
            return "'" + value + "'"
        default:
            var out = "\""
            for character in value {
                if "$`\"\\".contains(character) { out.append("\\") }
                out.append(character)
            }
            return out + "\""
        }
    }
}
