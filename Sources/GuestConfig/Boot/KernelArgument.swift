/// One kernel command-line argument: `name` or `name=value`.
///
/// Names compare the way the kernel's `parameq` does: `-` and `_` are the same character, so
/// `nvme_core.io_timeout` and `nvme-core.io_timeout` name one parameter.
public struct KernelArgument: Sendable, Hashable, CustomStringConvertible {
    /// The text as written, for example `console=ttyS0,115200n8`.
    public let text: String

    /// An argument from its text as written.
    public init(_ text: String) { self.text = text }

    /// The part before the first `=` (the whole text for a flag such as `quiet`).
    public var name: String {
        if let equals = text.firstIndex(of: "=") { return String(text[..<equals]) }
        return text
    }

    /// The part after the first `=`, or nil for a flag.
    public var value: String? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        return String(text[text.index(after: equals)...])
    }

    /// The name with `-` folded to `_`, for comparisons.
    public var normalizedName: String { KernelArgument.normalize(name) }

    /// True when `self` names the same parameter as `other`.
    ///
    /// Edits compare every argument of a command line with each name they add or remove, so this allocates
    /// nothing when both arguments are ASCII (names byte by byte, `-` as `_`); others compare as their
    /// ``normalizedName``s do.
    public func hasSameName(as other: KernelArgument) -> Bool {
        let mine = Self.asciiName(text), theirs = Self.asciiName(other.text)
        guard let mine, let theirs else { return normalizedName == other.normalizedName }
        return mine.elementsEqual(theirs) { Self.folded($0) == Self.folded($1) }
    }

    /// True when `self` and `other` are the same parameter with the same value (or both flags).
    public func isSameArgument(as other: KernelArgument) -> Bool {
        hasSameName(as: other) && valueText == other.valueText
    }

    /// The bytes of the name in `text` (before the first `=`) when the whole text is ASCII (so that bytes and
    /// characters split it alike), else nil.
    private static func asciiName(_ text: String) -> Substring.UTF8View? {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        return text.utf8.prefix(while: { $0 != UInt8(ascii: "=") })
    }

    /// `-` as `_`, the kernel's `parameq` folding.
    private static func folded(_ byte: UInt8) -> UInt8 { byte == UInt8(ascii: "-") ? UInt8(ascii: "_") : byte }

    /// ``value`` without a copy.
    private var valueText: Substring? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        return text[text.index(after: equals)...]
    }

    /// True for a reference to a grub/BLS variable such as `$kernelopts` or `${extra_cmdline}`.
    public var isVariableReference: Bool { text.contains("$") }

    /// The argument as written.
    public var description: String { text }

    static func normalize(_ name: String) -> String {
        guard name.utf8.contains(UInt8(ascii: "-")) else { return name }
        return String(name.map { $0 == "-" ? "_" : $0 })
    }
}
