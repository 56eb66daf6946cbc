/// A value in LVM2's configuration text: what follows `key =` in volume group metadata.
public indirect enum LVMConfigValue: Hashable, Sendable {
    /// A whole number (`pe_count = 255`).
    case integer(Int64)
    /// A number with a fraction (`1.5`).
    case real(Double)
    /// A quoted string, escapes resolved (`id = "wmTHgw-…"`).
    case string(String)
    /// `[ ... ]`: scalars separated by commas (`stripes = ["pv0", 0]`).
    case array([LVMConfigValue])
}

/// A section of LVM2's configuration text (`name { ... }`): its assignments and nested sections in order.
public struct LVMConfigSection: Hashable, Sendable {
    /// One entry of a section.
    public enum Item: Hashable, Sendable {
        /// `key = value`.
        case value(String, LVMConfigValue)
        /// `name { ... }`.
        case section(LVMConfigSection)
    }

    /// The section's name (empty for the whole text).
    public let name: String
    /// The 1-based line the section starts on.
    public let line: Int
    /// Its entries in text order.
    public let items: [Item]

    /// The first value assigned to `key`.
    public func value(_ key: String) -> LVMConfigValue? {
        for item in items { if case .value(key, let value) = item { return value } }
        return nil
    }

    /// The first nested section named `name`.
    public func section(_ name: String) -> LVMConfigSection? {
        for item in items { if case .section(let section) = item, section.name == name { return section } }
        return nil
    }

    /// The nested sections in order.
    public var sections: [LVMConfigSection] {
        items.compactMap { if case .section(let section) = $0 { section } else { nil } }
    }
}

/// The parser of LVM2's configuration text, the grammar of volume group metadata (lvm2 `lib/config/config.c`):
///
/// ```
/// text    := item*
/// item    := name '=' value | name '{' item* '}'
/// value   := scalar | '[' (scalar (',' scalar)* ','?)? ']'
/// scalar  := string | integer | real
/// ```
///
/// Strings are in double (or single) quotes with `\` escaping the next character; `#` starts a comment to the
/// end of the line; names are runs of characters other than blanks and `{}[]=,"'#`. Pure: bytes in, a tree out.
///
/// Bounds: at most ``maximumDepth`` nested sections, ``maximumSize`` bytes of text, integers within `Int64`;
/// anything else is a ``DiskLayoutError/Code/lvmMetadata`` naming the line and column.
public struct LVMConfigText {
    /// Sections nest at most this deep (volume group metadata uses 4).
    public static let maximumDepth = 32
    /// The largest text parsed.
    public static let maximumSize = 64 << 20

    private let bytes: [UInt8]
    private var position = 0
    private var line = 1
    private var lineStart = 0

    /// Parses `text` into its top-level section (named `""`).
    ///
    /// - Throws: ``DiskLayoutError/Code/lvmMetadata`` naming the line and column of the first error.
    public static func parse(_ text: [UInt8]) throws(DiskLayoutError) -> LVMConfigSection {
        guard text.count <= maximumSize else {
            throw DiskLayoutError(
                .lvmMetadata, "the metadata text is \(text.count) bytes, more than the \(maximumSize) read",
                structure: "LVM2 metadata text")
        }
        var parser = LVMConfigText(bytes: text)
        let items = try parser.items(depth: 0)
        return LVMConfigSection(name: "", line: 1, items: items)
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private enum Token: Equatable {
        case name(String)
        case string(String)
        case number(String)
        case symbol(UInt8)
        case end
    }

    private func error(_ message: String) -> DiskLayoutError {
        DiskLayoutError(
            .lvmMetadata, "line \(line), column \(position - lineStart + 1): \(message)",
            structure: "LVM2 metadata text")
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
    private static func isDelimiter(_ byte: UInt8) -> Bool {
        isBlank(byte)
            || [
                UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"),
                UInt8(ascii: "="), UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "#"),
            ].contains(byte)
    }

    private mutating func skipBlanksAndComments() {
        while position < bytes.count {
            let byte = bytes[position]
            if byte == 0x0A {
                position += 1
                line += 1
                lineStart = position
            } else if Self.isBlank(byte) {
                position += 1
            } else if byte == UInt8(ascii: "#") {
                while position < bytes.count, bytes[position] != 0x0A { position += 1 }
            } else {
                return
            }
        }
    }

    private mutating func next() throws(DiskLayoutError) -> Token {
        skipBlanksAndComments()
        guard position < bytes.count else { return .end }
        let byte = bytes[position]
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "="),
            UInt8(ascii: ","):
            position += 1
            return .symbol(byte)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            position += 1
            var text: [UInt8] = []
            while true {
                guard position < bytes.count else { throw error("a string is not closed") }
                var character = bytes[position]
                position += 1
                if character == byte { break }
                if character == UInt8(ascii: "\\") {
                    guard position < bytes.count else { throw error("a string ends in an escape") }
                    character = bytes[position]
                    position += 1
                }
                if character == 0x0A {
                    line += 1
                    lineStart = position
                }
                text.append(character)
            }
            return .string(String(decoding: text, as: UTF8.self))
        case 0:
            throw error("a NUL byte inside the text")
        default:
            let start = position
            while position < bytes.count, !Self.isDelimiter(bytes[position]) { position += 1 }
            let word = String(decoding: bytes[start..<position], as: UTF8.self)
            let first = bytes[start]
            if (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) || first == UInt8(ascii: "-")
                || first == UInt8(ascii: "+")
            {
                return .number(word)
            }
            return .name(word)
        }
    }

    private mutating func items(depth: Int) throws(DiskLayoutError) -> [LVMConfigSection.Item] {
        var items: [LVMConfigSection.Item] = []
        while true {
            let startLine = line
            let token = try next()
            let name: String
            switch token {
            case .end:
                guard depth == 0 else { throw error("the text ends inside a section (a '}' is missing)") }
                return items
            case .symbol(UInt8(ascii: "}")):
                guard depth > 0 else { throw error("a '}' closes no section") }
                return items
            case .name(let word), .number(let word):
                name = word
            case .string:
                throw error("a string where a name was expected")
            case .symbol(let symbol):
                throw error("'\(Character(Unicode.Scalar(symbol)))' where a name was expected")
            }
            switch try next() {
            case .symbol(UInt8(ascii: "=")):
                items.append(.value(name, try value()))
            case .symbol(UInt8(ascii: "{")):
                guard depth < Self.maximumDepth else {
                    throw error("sections nest deeper than \(Self.maximumDepth)")
                }
                let nested = try self.items(depth: depth + 1)
                items.append(.section(LVMConfigSection(name: name, line: startLine, items: nested)))
            default:
                throw error("'=' or '{' expected after \"\(name)\"")
            }
        }
    }

    private mutating func value() throws(DiskLayoutError) -> LVMConfigValue {
        let token = try next()
        if token == .symbol(UInt8(ascii: "[")) {
            var elements: [LVMConfigValue] = []
            while true {
                let element = try next()
                if element == .symbol(UInt8(ascii: "]")) { return .array(elements) }
                elements.append(try scalar(element))
                switch try next() {
                case .symbol(UInt8(ascii: ",")): continue
                case .symbol(UInt8(ascii: "]")): return .array(elements)
                default: throw error("',' or ']' expected in an array")
                }
            }
        }
        return try scalar(token)
    }

    private func scalar(_ token: Token) throws(DiskLayoutError) -> LVMConfigValue {
        switch token {
        case .string(let text): return .string(text)
        case .number(let word): return try number(word)
        case .name(let word): throw error("\"\(word)\" is neither a quoted string nor a number")
        case .symbol(let symbol): throw error("'\(Character(Unicode.Scalar(symbol)))' where a value was expected")
        case .end: throw error("the text ends where a value was expected")
        }
    }

    private func number(_ word: String) throws(DiskLayoutError) -> LVMConfigValue {
        var digits = Substring(word)
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { throw error("\"\(word)\" is not a number") }
        if digits.contains(".") {
            guard digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                digits.filter({ $0 == "." }).count == 1, digits.count <= 64, let real = Double(word), real.isFinite
            else { throw error("\"\(word)\" is not a number") }
            return .real(real)
        }
        var magnitude: UInt64 = 0
        for character in digits.utf8 {
            guard character >= UInt8(ascii: "0"), character <= UInt8(ascii: "9") else {
                throw error("\"\(word)\" is not a number")
            }
            let (times, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(character - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw error("\(word) does not fit in 64 bits") }
            magnitude = sum
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw error("\(word) does not fit in 64 bits") }
            return .integer(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
        }
        guard magnitude <= UInt64(Int64.max) else { throw error("\(word) does not fit in 64 bits") }
        return .integer(Int64(magnitude))
    }
}
