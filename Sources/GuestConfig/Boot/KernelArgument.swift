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
    public func hasSameName(as other: KernelArgument) -> Bool { normalizedName == other.normalizedName }

    /// True when `self` and `other` are the same parameter with the same value (or both flags).
    public func isSameArgument(as other: KernelArgument) -> Bool {
        hasSameName(as: other) && value == other.value
    }

    /// True for a reference to a grub/BLS variable such as `$kernelopts` or `${extra_cmdline}`.
    public var isVariableReference: Bool { text.contains("$") }

    /// The argument as written.
    public var description: String { text }

    static func normalize(_ name: String) -> String {
        String(name.map { $0 == "-" ? "_" : $0 })
    }
}
