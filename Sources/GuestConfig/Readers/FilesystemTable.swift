/// `/etc/fstab`, read only: fields of each mount line; comments and blank lines are skipped, not lost (the
/// text is never rewritten).
///
/// Fields are read as fstab(5) and libmount read them: separated by spaces and tabs, a line whose first
/// field starts with `#` is a comment, and the octal escapes `\040` (space), `\011` (tab), `\012` (newline)
/// and `\134` (backslash) stand for the character in every field (`LABEL=my\040root` names the label
/// `my root`). ``Entry/spec`` keeps the first field as written, to point at it.
public struct FilesystemTable: Sendable, Hashable {
    /// How a line names its device.
    public enum DeviceSpec: Sendable, Hashable {
        case uuid(String)
        case label(String)
        case partUUID(String)
        case partLabel(String)
        /// A kernel device path such as `/dev/sda1` or `/dev/mapper/rhel-root`.
        case path(String)
        /// Anything else (`tmpfs`, `proc`, a network share).
        case other(String)

        /// Classifies a first field (escapes already decoded).
        public init(_ text: String) {
            func value(_ prefix: String) -> String? {
                guard text.hasPrefix(prefix) else { return nil }
                var rest = String(text.dropFirst(prefix.count))
                if rest.count >= 2, let quote = rest.first, quote == "\"" || quote == "'", rest.last == quote {
                    rest = String(rest.dropFirst().dropLast())
                }
                return rest
            }
            if let v = value("UUID=") {
                self = .uuid(v)
            } else if let v = value("LABEL=") {
                self = .label(v)
            } else if let v = value("PARTUUID=") {
                self = .partUUID(v)
            } else if let v = value("PARTLABEL=") {
                self = .partLabel(v)
            } else if text.hasPrefix("/") {
                self = .path(text)
            } else {
                self = .other(text)
            }
        }

        /// True for UUID, LABEL, PARTUUID, PARTLABEL, and /dev/disk/by-*, /dev/mapper paths: names that do not
        /// change when the disk moves to another controller (generalize.md §b.8).
        public var isPersistent: Bool {
            switch self {
            case .uuid, .label, .partUUID, .partLabel: true
            case .path(let p): p.hasPrefix("/dev/disk/by-") || p.hasPrefix("/dev/mapper/")
            case .other: false
            }
        }

        /// True for `/dev/sd*`, `/dev/hd*`, `/dev/vd*`, `/dev/xvd*`, `/dev/nvme*`: names that change.
        public var isKernelDeviceName: Bool {
            guard case .path(let p) = self else { return false }
            return ["/dev/sd", "/dev/hd", "/dev/vd", "/dev/xvd", "/dev/nvme"].contains { p.hasPrefix($0) }
        }
    }

    /// One mount line.
    public struct Entry: Sendable, Hashable {
        /// 1-based line number.
        public var line: Int
        /// The first field as written (`UUID=…`, `/dev/sda1`, …; escapes not decoded).
        public var spec: String
        /// The first field, classified.
        public var device: DeviceSpec
        /// The second field (escapes decoded).
        public var mountPoint: String
        /// The filesystem type (third field).
        public var type: String
        /// The mount options (fourth field; `defaults` when absent).
        public var options: [String]
        /// The fourth field as one string (escapes decoded; `defaults` when absent).
        public var optionsText: String
        /// The fifth field (0 when absent).
        public var dump: Int
        /// The sixth field, the fsck order (0 when absent).
        public var pass: Int
        /// True for a swap line.
        public var isSwap: Bool { type == "swap" }
    }

    /// The entries, in file order.
    public var entries: [Entry]
    /// Lines with fewer than three fields.
    public var findings: [ConfigFinding]

    /// Parses `text`; never fails.
    public init(_ text: String) {
        var entries: [Entry] = []
        var findings: [ConfigFinding] = []
        func add(line index: Int, fields written: [String]) {
            let fields = written.map(Self.decodingEscapes)
            entries.append(
                Entry(
                    line: index + 1, spec: written[0], device: DeviceSpec(fields[0]), mountPoint: fields[1],
                    type: fields[2],
                    options: fields.count > 3 ? fields[3].split(separator: ",").map(String.init) : ["defaults"],
                    optionsText: fields.count > 3 ? fields[3] : "defaults",
                    dump: fields.count > 4 ? Int(fields[4]) ?? 0 : 0, pass: fields.count > 5 ? Int(fields[5]) ?? 0 : 0))
        }
        func malformed(line index: Int, fields count: Int) {
            findings.append(ConfigFinding(.warning, .malformedLine, line: index + 1, "fstab line with \(count) fields"))
        }
        if text.isOneCharacterPerScalar {
            Self.readAtBytes(text, add: add, malformed: malformed)
        } else {
            ConfigText.forEachContent(of: text) { index, content in
                // The line is trimmed and split as slices of the text; only a mount line's fields become Strings.
                let body = content.trimmedWhitespace
                if body.isEmpty || body.hasPrefix("#") { return }
                let pieces = body.split { $0 == " " || $0 == "\t" }
                guard pieces.count >= 3 else { return malformed(line: index, fields: pieces.count) }
                add(line: index, fields: pieces.map(String.init))
            }
        }
        self.entries = entries
        self.findings = findings
    }

    /// The lines of a text of one character per scalar, read at its bytes: cut as ``ConfigText`` cuts them,
    /// trimmed of whitespace characters (there: U+0009 to U+000D, the space, U+0085 and U+00A0, each one
    /// character), skipped when blank or a comment, and split at spaces and tabs. A line's fields are counted
    /// first; only a mount line's become Strings (`add`), the others give their count (`malformed`).
    static func readAtBytes(
        _ text: String, add: (_ line: Int, _ fields: [String]) -> Void, malformed: (_ line: Int, _ fields: Int) -> Void
    ) {
        let bytes = Array(text.utf8)
        func isControlSpace(_ byte: UInt8) -> Bool { (0x09...0x0D).contains(byte) || byte == 0x20 }
        func isLatinSpace(_ lead: UInt8, _ next: UInt8) -> Bool { lead == 0xC2 && (next == 0x85 || next == 0xA0) }
        func line(_ index: Int, _ lineStart: Int, _ lineEnd: Int) {
            var start = lineStart
            var end = lineEnd
            while start < end {
                if isControlSpace(bytes[start]) {
                    start += 1
                } else if start + 1 < end, isLatinSpace(bytes[start], bytes[start + 1]) {
                    start += 2
                } else {
                    break
                }
            }
            while end > start {
                if isControlSpace(bytes[end - 1]) {
                    end -= 1
                } else if end - 2 >= start, isLatinSpace(bytes[end - 2], bytes[end - 1]) {
                    end -= 2
                } else {
                    break
                }
            }
            guard start < end, bytes[start] != UInt8(ascii: "#") else { return }
            let count = SpaceSeparatedWords.count(in: bytes[start..<end])
            guard count >= 3 else { return malformed(index, count) }
            let fields = SpaceSeparatedWords.strings(in: bytes[start..<end], capacity: count)
            add(index, fields)
        }
        ConfigText.forEachLine(in: bytes, line)
    }

    /// `field` with each backslash and three octal digits (`\040`) replaced by the byte they give, as libmount's
    /// `unmangle` does; a backslash not followed by three octal digits stays as it is.
    static func decodingEscapes(_ field: String) -> String {
        guard field.utf8.contains(UInt8(ascii: "\\")) else { return field }
        let bytes = Array(field.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        func octal(_ byte: UInt8) -> UInt8? {
            (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(byte) ? byte - UInt8(ascii: "0") : nil
        }
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\"), index + 3 < bytes.count, let a = octal(bytes[index + 1]),
                let b = octal(bytes[index + 2]), let c = octal(bytes[index + 3])
            {
                out.append(a &<< 6 | b &<< 3 | c)  // as libmount: 64a + 8b + c, in a byte
                index += 4
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
