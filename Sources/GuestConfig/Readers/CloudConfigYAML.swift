/// A node of the YAML subset cloud-config files are written in, with the 1-based line it starts on.
public struct YAMLNode: Sendable, Equatable {
    /// What a node holds.
    public indirect enum Value: Sendable, Equatable {
        /// A scalar, unquoted (`"ext4"`, `'a b'` and `ext4` all read as `ext4`); `null`, `~` and nothing read as
        /// ``null``.
        case scalar(String)
        /// `null`, `~`, `Null`, `NULL` or no value at all.
        case null
        /// A block (`- item`) or flow (`[a, b]`) sequence.
        case sequence([YAMLNode])
        /// A block (`key: value`) or flow (`{a: b}`) mapping, in file order (a repeated key keeps its last value
        /// in ``YAMLNode/subscript(_:)``).
        case mapping([YAMLPair])
    }

    /// What the node holds.
    public var value: Value
    /// The 1-based line the node starts on.
    public var line: Int

    /// A node holding `value`, starting on `line`.
    public init(_ value: Value, line: Int) {
        self.value = value
        self.line = line
    }

    /// The value of `key` when this is a mapping (the last one when the key repeats).
    public subscript(_ key: String) -> YAMLNode? {
        guard case .mapping(let pairs) = value else { return nil }
        return pairs.last { $0.key == key }?.node
    }

    /// The scalar text, or `nil` for anything else.
    public var scalar: String? {
        if case .scalar(let text) = value { return text }
        return nil
    }

    /// The items when this is a sequence.
    public var items: [YAMLNode]? {
        if case .sequence(let items) = value { return items }
        return nil
    }

    /// The pairs when this is a mapping.
    public var pairs: [YAMLPair]? {
        if case .mapping(let pairs) = value { return pairs }
        return nil
    }

    /// Whether the node is ``Value/null``.
    public var isNull: Bool { value == .null }
}

/// One `key: value` of a mapping.
public struct YAMLPair: Sendable, Equatable {
    /// The key, unquoted.
    public var key: String
    /// The value.
    public var node: YAMLNode
    /// The 1-based line of the key (a block value starts on a later line).
    public var line: Int

    /// The pair `key: node` whose key is on `line`.
    public init(key: String, node: YAMLNode, line: Int) {
        self.key = key
        self.node = node
        self.line = line
    }
}

/// A bounded reader of the YAML that cloud-config files use: block mappings and sequences (a sequence may sit at
/// its key's own indentation), sequence items that open a mapping (`- device: x`), flow sequences and mappings
/// (`[a, "b"]`, `{size: 0}`, also over several lines), plain, single- and double-quoted scalars, `#` comments,
/// `---` markers, and literal/folded block scalars (`|`, `>`: their lines are kept as text). Tags and anchors
/// are dropped and aliases read as their `*name` text; no other YAML feature is known.
///
/// Pure and bounded: at most ``maxDepth`` levels of nesting and ``maxNodes`` nodes; beyond them, or on text it
/// cannot read, it keeps what it read so far and records the line in ``problems`` (never traps, never loops).
public struct CloudConfigYAML: Sendable {
    /// Deepest nesting read (deeper values read as their text).
    public static let maxDepth = 32
    /// Most nodes read from one text.
    public static let maxNodes = 100_000

    /// The document's top node (a mapping for any cloud-config; ``YAMLNode/Value/null`` for an empty text).
    public let root: YAMLNode
    /// Lines that were not understood (1-based) and why.
    public let problems: [(line: Int, message: String)]

    /// Reads `text`.
    public init(_ text: String) {
        // A text of one character per scalar is walked scalar by scalar (integer compares, no grapheme breaking),
        // with the same result: the reader only looks for ASCII characters and copies the rest.
        if text.isOneCharacterPerScalar {
            var parser = Parser<Unicode.Scalar>(text)
            root = parser.document()
            problems = parser.problems
        } else {
            var parser = Parser<Character>(text)
            root = parser.document()
            problems = parser.problems
        }
    }

    struct Parser<Unit: YAMLTextUnit> {
        /// One logical line: its indentation, its text without the indentation and the comment, its number, and
        /// the text of the block scalar (`|`, `>`) it opens.
        struct Line {
            var indent: Int
            var text: [Unit]
            var number: Int
            var blockScalar: String?
        }

        var lines: [Line] = []
        var index = 0
        var nodes = 0
        var problems: [(line: Int, message: String)] = []

        init(_ text: String) {
            var blockOpener: Int?  // the line that opened a block scalar: more-indented (and blank) lines are its text
            var blockLines: [String] = []
            func closeBlock(_ lines: inout [Line]) {
                guard let opener = blockOpener else { return }
                while blockLines.last?.isEmpty == true { blockLines.removeLast() }
                let strip = blockLines.filter { !$0.isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
                let indicator = lines[opener].text.reversed().prefix { $0 != "|" && $0 != ">" }
                let folded = lines[opener].text.reversed().dropFirst(indicator.count).first == ">"
                let kept = blockLines.map { String($0.dropFirst(min(strip, $0.count))) }
                // Folded: lines of one paragraph join with a space; literal: with newlines. Clip chomping keeps
                // one final newline, `-` none.
                var value = ""
                for (i, text) in kept.enumerated() {
                    if i > 0 { value += folded && !text.isEmpty && !kept[i - 1].isEmpty ? " " : "\n" }
                    value += text
                }
                if !value.isEmpty && !indicator.contains("-") { value += "\n" }
                lines[opener].blockScalar = value
                blockOpener = nil
                blockLines = []
            }
            // Each line is made into one array of units, cut down where it is (indentation, comment, trailing
            // blanks) rather than copied at each step.
            var lines: [Line] = []
            for (offset, raw) in ConfigText(text).contents.enumerated() {
                var body = Unit.units(of: raw)
                let indent = body.prefix { $0 == " " }.count
                if let opener = blockOpener {
                    if body.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) {
                        blockLines.append("")
                        continue
                    }
                    if indent > lines[opener].indent {
                        blockLines.append(raw)
                        continue
                    }
                    closeBlock(&lines)
                }
                body.removeFirst(indent)
                Self.removeComment(&body)
                while let last = body.last, last == " " || last == "\t" || last == "\r" { body.removeLast() }
                if body.isEmpty || body.first == "%" { continue }
                if body.count >= 3, body[..<3].allSatisfy({ $0 == "-" }) || body[..<3].allSatisfy({ $0 == "." }) {
                    let rest = body.dropFirst(3)
                    if rest.isEmpty || rest.first == " " { continue }
                }
                lines.append(Line(indent: indent, text: body, number: offset + 1))
                if Self.opensBlockScalar(body) {
                    blockOpener = lines.count - 1
                    blockLines = []
                }
            }
            closeBlock(&lines)
            self.lines = lines
        }

        /// Cuts `text` before a `#` that starts a comment (at the start or after a blank, outside quotes).
        static func removeComment(_ text: inout [Unit]) {
            var quote: Unit?
            for (i, c) in text.enumerated() {
                if let open = quote {
                    if c == open { quote = nil }
                    continue
                }
                if c == "\"" || c == "'", i == 0 || Self.opensQuote(after: text[i - 1]) {
                    quote = c
                } else if c == "#", i == 0 || text[i - 1] == " " || text[i - 1] == "\t" {
                    text.removeSubrange(i...)
                    return
                }
            }
        }

        /// Whether a quote after `c` opens a quoted scalar: `c` is one of ` \t[{,:-`.
        static func opensQuote(after c: Unit) -> Bool {
            switch c {
            case " ", "\t", "[", "{", ",", ":", "-": true
            default: false
            }
        }

        /// Whether the line's value is `|` or `>` (with indicators): `key: |`, `- |`, `- key: >-`.
        static func opensBlockScalar(_ body: [Unit]) -> Bool {
            // The value starts with one of the line's characters: most lines have no `|` or `>` at all.
            guard body.contains(where: { $0 == "|" || $0 == ">" }) else { return false }
            var value = body
            if isItem(value) { value = Array(value.dropFirst().drop { $0 == " " }) }
            if let (colon, _) = keyColon(value) {
                value = Array(value[(colon + 1)...].drop { $0 == " " || $0 == "\t" })
            }
            guard let first = value.first, first == "|" || first == ">" else { return false }
            for c in value.dropFirst() where !isBlockIndicator(c) { return false }
            return true
        }

        /// Whether `c` may follow `|` or `>`: a chomping indicator (`+`, `-`) or an indentation digit.
        static func isBlockIndicator(_ c: Unit) -> Bool {
            switch c {
            case "+", "-", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9": true
            default: false
            }
        }

        mutating func problem(_ line: Int, _ message: String) {
            if problems.count < 100 { problems.append((line, message)) }
        }

        mutating func document() -> YAMLNode {
            guard let first = lines.first else { return YAMLNode(.null, line: 1) }
            var node = block(indent: first.indent, depth: 0)
            while index < lines.count {
                problem(lines[index].number, "text after the document's top value")
                // Read on: a second top-level block (wrongly indented) still counts for the keys it holds.
                let more = block(indent: lines[index].indent, depth: 0)
                if case .mapping(let extra) = more.value, case .mapping(let pairs) = node.value {
                    node = YAMLNode(.mapping(pairs + extra), line: node.line)
                }
            }
            return node
        }

        /// The block value whose lines start at `indent`.
        mutating func block(indent: Int, depth: Int) -> YAMLNode {
            guard index < lines.count else { return YAMLNode(.null, line: lines.last?.number ?? 1) }
            let line = lines[index]
            guard depth < CloudConfigYAML.maxDepth, nodes < CloudConfigYAML.maxNodes else {
                problem(line.number, "nested deeper than \(CloudConfigYAML.maxDepth) levels or too many nodes")
                skip(deeperThan: indent - 1)
                return YAMLNode(.null, line: line.number)
            }
            nodes += 1
            if Self.isItem(line.text) { return sequence(indent: indent, depth: depth) }
            if Self.isKeyLine(line.text) { return mapping(indent: indent, depth: depth) }
            // A lone scalar or flow value (a document that is just `[a, b]`, or a wrapped value).
            index += 1
            if let block = line.blockScalar { return YAMLNode(.scalar(block), line: line.number) }
            return inline(line.text, line: line.number, depth: depth)
        }

        static func isItem(_ text: [Unit]) -> Bool { text.first == "-" && (text.count == 1 || text[1] == " ") }

        mutating func skip(deeperThan indent: Int) {
            while index < lines.count, lines[index].indent > indent { index += 1 }
        }

        mutating func sequence(indent: Int, depth: Int) -> YAMLNode {
            let start = lines[index].number
            var items: [YAMLNode] = []
            while index < lines.count, lines[index].indent == indent, Self.isItem(lines[index].text) {
                let line = lines[index]
                let rest = Array(line.text.dropFirst().drop { $0 == " " })  // one copy, used three times below
                let offset = line.text.count - rest.count
                if rest.isEmpty {
                    index += 1
                    if index < lines.count, lines[index].indent > indent {
                        items.append(block(indent: lines[index].indent, depth: depth + 1))
                    } else {
                        items.append(YAMLNode(.null, line: line.number))
                    }
                } else if Self.isItem(rest) || Self.isKeyLine(rest) {
                    // `- key: value` (or `- - x`): the item is a block that starts inside this line.
                    lines[index] = Line(
                        indent: indent + offset, text: rest, number: line.number, blockScalar: line.blockScalar)
                    items.append(block(indent: indent + offset, depth: depth + 1))
                } else {
                    index += 1
                    if let block = line.blockScalar {
                        items.append(YAMLNode(.scalar(block), line: line.number))
                    } else {
                        items.append(inline(rest, line: line.number, depth: depth + 1))
                    }
                }
            }
            if index < lines.count, lines[index].indent > indent {
                problem(lines[index].number, "indented more than the sequence it follows")
                skip(deeperThan: indent)
            }
            return YAMLNode(.sequence(items), line: start)
        }

        mutating func mapping(indent: Int, depth: Int) -> YAMLNode {
            let start = lines[index].number
            var pairs: [YAMLPair] = []
            while index < lines.count, lines[index].indent == indent {
                let line = lines[index]
                guard let (key, rest) = Self.keySplit(line.text) else {
                    if Self.isItem(line.text) {
                        problem(line.number, "a sequence item where a key was expected")
                        _ = sequence(indent: indent, depth: depth + 1)
                    } else {
                        problem(line.number, "not a 'key: value' line")
                        index += 1
                    }
                    continue
                }
                index += 1
                let value: YAMLNode
                if rest.isEmpty {
                    if index < lines.count, lines[index].indent > indent {
                        value = block(indent: lines[index].indent, depth: depth + 1)
                    } else if index < lines.count, lines[index].indent == indent, Self.isItem(lines[index].text) {
                        // `key:` then `- item` at the key's indentation.
                        value = sequence(indent: indent, depth: depth + 1)
                    } else {
                        value = YAMLNode(.null, line: line.number)
                    }
                } else if let block = line.blockScalar {
                    value = YAMLNode(.scalar(block), line: line.number)
                } else {
                    value = inline(rest, line: line.number, depth: depth + 1, continuingDeeperThan: indent)
                }
                pairs.append(YAMLPair(key: key, node: value, line: line.number))
            }
            if index < lines.count, lines[index].indent > indent {
                problem(lines[index].number, "indented more than the mapping it follows")
                skip(deeperThan: indent)
            }
            return YAMLNode(.mapping(pairs), line: start)
        }

        /// `key: rest` (the key unquoted); `nil` when the line is not a mapping entry.
        static func keySplit(_ text: [Unit]) -> (String, [Unit])? {
            guard let (colon, quotedKey) = keyColon(text) else { return nil }
            let key = quotedKey ?? string(text[..<colon]).trimmingSpaces
            let rest = text[(colon + 1)...].drop { $0 == " " || $0 == "\t" }
            return (key, Array(rest))
        }

        /// Whether the line is a mapping entry (``keySplit(_:)`` is not `nil`), without making its key and rest.
        static func isKeyLine(_ text: [Unit]) -> Bool { keyColon(text) != nil }

        /// The index of the `:` that ends a mapping entry's key, with the key when it is quoted (a plain key is
        /// the text before the colon); `nil` when the line is not a mapping entry.
        static func keyColon(_ text: [Unit]) -> (Int, String?)? {
            if let quote = text.first, quote == "\"" || quote == "'" {
                guard let (scalar, end) = quoted(text, from: 0) else { return nil }
                var i = end
                while i < text.count, text[i] == " " { i += 1 }
                guard i < text.count, text[i] == ":" else { return nil }
                return (i, scalar)
            }
            guard let first = text.first, !startsNonKey(first), !isItem(text) else { return nil }
            var i = 0
            while i < text.count {
                if text[i] == ":", i + 1 == text.count || text[i + 1] == " " || text[i + 1] == "\t" { break }
                i += 1
            }
            return i < text.count ? (i, nil) : nil
        }

        /// Whether a plain key cannot start with `c`: one of ``[{&*!|>%@` ``.
        static func startsNonKey(_ c: Unit) -> Bool {
            switch c {
            case "[", "{", "&", "*", "!", "|", ">", "%", "@", "`": true
            default: false
            }
        }

        /// The units as a `String`, appended one by one (the generic `String(_:)` over a sequence of
        /// characters is many times slower).
        static func string(_ units: ArraySlice<Unit>) -> String {
            var text = ""
            for c in units { c.append(to: &text) }
            return text
        }

        /// A value written on the line itself: a flow collection (joined with the lines that finish it) or a scalar.
        mutating func inline(
            _ text: [Unit], line: Int, depth: Int, continuingDeeperThan indent: Int? = nil
        ) -> YAMLNode {
            var text = Self.withoutProperties(text)
            guard let first = text.first else { return YAMLNode(.null, line: line) }
            if first == "[" || first == "{" {
                // A flow collection may go on over the next lines until its brackets close. The bracket count
                // runs on over each added line (not over the whole text again, which is quadratic in lines).
                var balance = FlowBalance()
                balance.scan(text)
                while !balance.isBalanced, index < lines.count, lines.count - index > 0,
                    indent.map({ lines[index].indent > $0 }) ?? true, text.count < 1 << 20
                {
                    text += [" "] + lines[index].text
                    balance.scan(lines[index].text)
                    index += 1
                }
                var flow = Flow(text: text, line: line)
                let node = flow.value(depth: depth)
                nodes += flow.nodes
                if let message = flow.problem { problem(line, message) }
                return node
            }
            // A plain scalar may continue on more-indented lines (folded with spaces).
            if let indent, first != "\"", first != "'" {
                while index < lines.count, lines[index].indent > indent, !Self.isKeyLine(lines[index].text),
                    !Self.isItem(lines[index].text)
                {
                    text += [" "] + lines[index].text
                    index += 1
                }
            }
            return YAMLNode(Self.scalarValue(text), line: line)
        }

        /// Without a leading tag (`!!str`, `!foo`) or anchor (`&name`).
        static func withoutProperties(_ text: [Unit]) -> [Unit] {
            var text = text[...]
            while let first = text.first, first == "!" || first == "&" {
                text = text.drop { $0 != " " }.drop { $0 == " " }
            }
            return Array(text)
        }

        /// Whether a flow text's brackets close: the running count of `[`/`{` less `]`/`}` outside quotes, fed
        /// piece by piece (a text scanned in pieces gives the same answer as scanned at once).
        struct FlowBalance {
            var depth = 0
            var quote: Unit?

            var isBalanced: Bool { depth <= 0 }

            mutating func scan(_ text: [Unit]) {
                for c in text {
                    if let open = quote {
                        if c == open { quote = nil }
                        continue
                    }
                    switch c {
                    case "\"", "'": quote = c
                    case "[", "{": depth += 1
                    case "]", "}": depth -= 1
                    default: break
                    }
                }
            }
        }

        /// A scalar's value: quotes removed, `null`/`~` as null.
        static func scalarValue(_ text: [Unit]) -> YAMLNode.Value {
            if let quote = text.first, quote == "\"" || quote == "'", let (value, _) = quoted(text, from: 0) {
                return .scalar(value)
            }
            let plain = string(text[...]).trimmingSpaces
            if ["", "~", "null", "Null", "NULL"].contains(plain) { return .null }
            return .scalar(plain)
        }

        /// The quoted scalar starting at `start` and the index after its closing quote.
        static func quoted(_ text: [Unit], from start: Int) -> (String, Int)? {
            let quote = text[start]
            var out = ""
            var i = start + 1
            while i < text.count {
                let c = text[i]
                if quote == "'" {
                    if c == "'" {
                        if i + 1 < text.count, text[i + 1] == "'" {
                            out.append("'")
                            i += 2
                            continue
                        }
                        return (out, i + 1)
                    }
                } else if c == "\\", i + 1 < text.count {
                    let next = text[i + 1]
                    switch next {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "0": out.append("\0")
                    default: next.append(to: &out)
                    }
                    i += 2
                    continue
                } else if c == "\"" {
                    return (out, i + 1)
                }
                c.append(to: &out)
                i += 1
            }
            return nil
        }
    }

    /// A flow collection (`[a, [b, c]]`, `{k: v}`) read character by character.
    struct Flow<Unit: YAMLTextUnit> {
        var text: [Unit]
        var line: Int
        var i = 0
        var nodes = 0
        var problem: String?

        init(text: [Unit], line: Int) {
            self.text = text
            self.line = line
        }

        mutating func spaces() { while i < text.count, text[i] == " " || text[i] == "\t" { i += 1 } }

        mutating func value(depth: Int) -> YAMLNode {
            spaces()
            nodes += 1
            guard i < text.count else { return YAMLNode(.null, line: line) }
            guard depth < CloudConfigYAML.maxDepth, nodes < CloudConfigYAML.maxNodes else {
                problem = "nested deeper than \(CloudConfigYAML.maxDepth) levels or too many nodes"
                i = text.count
                return YAMLNode(.null, line: line)
            }
            switch text[i] {
            case "[":
                i += 1
                var items: [YAMLNode] = []
                while true {
                    spaces()
                    guard i < text.count else { problem = "a '[' is not closed"; break }
                    if text[i] == "]" { i += 1; break }
                    if text[i] == "," { i += 1; continue }
                    let before = i
                    items.append(value(depth: depth + 1))
                    if i == before { i += 1 }  // never stall on a character nothing reads
                }
                return YAMLNode(.sequence(items), line: line)
            case "{":
                i += 1
                var pairs: [YAMLPair] = []
                while true {
                    spaces()
                    guard i < text.count else { problem = "a '{' is not closed"; break }
                    if text[i] == "}" { i += 1; break }
                    if text[i] == "," { i += 1; continue }
                    let before = i
                    let key = scalar(stopAtColon: true)
                    spaces()
                    var node = YAMLNode(.null, line: line)
                    if i < text.count, text[i] == ":" {
                        i += 1
                        node = value(depth: depth + 1)
                    }
                    pairs.append(YAMLPair(key: key.scalar ?? "", node: node, line: line))
                    if i == before { i += 1 }
                }
                return YAMLNode(.mapping(pairs), line: line)
            default:
                return scalar(stopAtColon: false)
            }
        }

        /// Whether `c` ends a scalar inside a flow collection: `,` `]` `}`.
        static func endsScalar(_ c: Unit) -> Bool { c == "," || c == "]" || c == "}" }

        /// A scalar inside a flow collection: up to `,` `]` `}` (and `: ` for a key).
        mutating func scalar(stopAtColon: Bool) -> YAMLNode {
            spaces()
            if i < text.count, text[i] == "\"" || text[i] == "'", let (value, end) = Parser<Unit>.quoted(text, from: i)
            {
                i = end
                return YAMLNode(.scalar(value), line: line)
            }
            let start = i
            while i < text.count, !Self.endsScalar(text[i]) {
                if text[i] == ":", i + 1 == text.count || text[i + 1] == " " || Self.endsScalar(text[i + 1]) {
                    if stopAtColon { break }
                }
                i += 1
            }
            return YAMLNode(
                Parser<Unit>.scalarValue(Parser<Unit>.withoutProperties(Array(text[start..<i]))), line: line)
        }
    }
}

/// What ``CloudConfigYAML`` walks a line in: `Character`s, or `Unicode.Scalar`s on a text of one character per
/// scalar (`isOneCharacterPerScalar`), where a scalar is the character and compares as an integer.
protocol YAMLTextUnit: Equatable, ExpressibleByUnicodeScalarLiteral {
    /// The units of one line (which holds no `\n`).
    static func units(of line: String) -> [Self]
    /// Appends the unit's text to `text`.
    func append(to text: inout String)
}

extension Character: YAMLTextUnit {
    static func units(of line: String) -> [Character] { Array(line) }
    func append(to text: inout String) { text.append(self) }
}

extension Unicode.Scalar: YAMLTextUnit {
    static func units(of line: String) -> [Unicode.Scalar] { Array(line.unicodeScalars) }
    func append(to text: inout String) { text.unicodeScalars.append(self) }
}
