/// GRUB's environment block (`grubenv`): a header line, `name=value` lines, and `#` padding that keeps the
/// file at a fixed size (1024 bytes), so that GRUB can rewrite it in place without allocating blocks.
///
/// ```
/// # GRUB Environment Block\n
/// saved_entry=…\n
/// kernelopts=root=/dev/mapper/rhel-root ro crashkernel=auto …\n
/// ##################…   (padding to the block size)
/// ```
///
/// Edits keep the file's exact length by growing or shrinking the padding; an edit that would not fit throws.
public struct GrubEnvironmentBlock: Sendable {
    /// The first line GRUB writes and checks.
    public static let header = "# GRUB Environment Block"
    /// The size GRUB creates the block with.
    public static let standardSize = 1024

    /// The guest path, for messages and diff headers.
    public let path: String?
    /// The text as given.
    public let original: String
    /// The header and variable lines (each ending in `\n`).
    private var body: [String]
    /// The length in bytes the file must keep.
    public let size: Int
    /// What parsing and editing noticed.
    public private(set) var findings: [ConfigFinding] = []

    /// Parses a grubenv.
    /// - Throws: `.malformed` when the header is missing or the padding is not all `#` (GRUB would reject the
    ///   block too, and rewriting it could destroy data).
    public init(_ text: String, path: String? = nil) throws(GuestConfigError) {
        self.path = path
        self.original = text
        self.size = text.utf8.count
        guard text.hasPrefix(Self.header + "\n") else {
            throw GuestConfigError(.malformed, "no '\(Self.header)' header line", path: path, line: 1)
        }
        guard let lastNewline = text.lastIndex(of: "\n") else {
            throw GuestConfigError(.malformed, "no line ends", path: path)
        }
        let padding = text[text.index(after: lastNewline)...]
        guard padding.allSatisfy({ $0 == "#" }) else {
            throw GuestConfigError(
                .malformed, "text after the last variable line is not '#' padding", path: path,
                offset: text.utf8.distance(from: text.startIndex, to: text.index(after: lastNewline)))
        }
        body = text[...lastNewline].split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            String($0) + "\n"
        }
        if size != Self.standardSize {
            findings.append(
                ConfigFinding(
                    .warning, .malformedLine,
                    "the block is \(size) bytes, not \(Self.standardSize); edits keep its size as it is"))
        }
    }

    /// The edited block, exactly ``size`` bytes.
    public var text: String {
        let joined = body.joined()
        return joined + String(repeating: "#", count: size - joined.utf8.count)
    }

    /// The original and edited text, with the findings.
    public var result: ConfigEditResult {
        ConfigEditResult(path: path, original: original, edited: text, findings: findings)
    }

    /// Variables in order.
    public var variables: [(name: String, value: String)] {
        body.dropFirst().compactMap { line in
            guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<equals]), String(line[line.index(after: equals)...].dropLast()))
        }
    }

    /// The value of `name`, or nil.
    public func value(of name: String) -> String? { variables.first { $0.name == name }?.value }

    /// The 1-based line number of the first `name=` line (the one ``value(of:)`` reads), counted as
    /// ``ConfigText`` counts lines (the header is line 1), or nil when `name` is not set.
    public func lineNumber(of name: String) -> Int? {
        var number = 1
        for line in body.dropFirst() {
            number += 1
            if !line.hasPrefix("#"), line.hasPrefix(name + "=") { return number }
            number += line.count(where: { $0 == "\r\n" })  // a CRLF inside a body line ends a ConfigText line
        }
        return nil
    }

    /// Sets `name=value`, appending it when absent.
    /// - Throws: `.invalidArgument` for a name with `=` or a newline; `.invalidValue` for a value with a
    ///   newline or backslash (GRUB would escape them; not supported); `.noSpace` when the block would exceed
    ///   its size.
    @discardableResult
    public mutating func set(_ name: String, to value: String) throws(GuestConfigError) -> Bool {
        guard !name.isEmpty, !name.contains(where: { $0 == "=" || $0.isNewline || $0 == "#" }) else {
            throw GuestConfigError(.invalidArgument, "not a grubenv variable name", path: path, field: name)
        }
        guard !value.contains(where: { $0.isNewline || $0 == "\\" }) else {
            throw GuestConfigError(.invalidValue, "newlines and backslashes are not supported", path: path, field: name)
        }
        let line = name + "=" + value + "\n"
        var newBody = body
        if let index = newBody.indices.dropFirst().first(where: { newBody[$0].hasPrefix(name + "=") }) {
            if newBody[index] == line { return false }
            newBody[index] = line
        } else {
            newBody.append(line)
        }
        let length = newBody.joined().utf8.count
        guard length <= size else {
            throw GuestConfigError(
                .noSpace, "the variables would take \(length) bytes, more than the \(size)-byte block", path: path,
                field: name)
        }
        body = newBody
        return true
    }

    /// Applies `edit` to `kernelopts`; nil when the block has no `kernelopts`.
    /// - Throws: `.noSpace` when the result does not fit in the block.
    @discardableResult
    public mutating func editKernelArguments(
        _ edit: KernelArgumentEdit
    ) throws(GuestConfigError) -> KernelArgumentEdit
        .Outcome?
    {
        guard let current = value(of: "kernelopts") else { return nil }
        let outcome = edit.apply(to: current)
        if outcome.changed { try set("kernelopts", to: outcome.commandLine) }
        return outcome
    }
}
