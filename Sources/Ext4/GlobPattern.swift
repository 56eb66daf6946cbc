/// A shell-style pattern for one path component: `*` (any run of bytes), `?` (one byte), `[abc]`, `[a-z]`,
/// `[!abc]` / `[^abc]` (a set), and `\` to quote the next byte. As in the shell, a leading `.` in a name is
/// matched only by a literal `.`. Matching is on bytes, so non-UTF-8 names work.
public struct GlobPattern: Sendable, Hashable {
    private enum Token: Hashable, Sendable {
        case literal(UInt8)
        case any
        case anyRun
        case set(ranges: [ClosedRange<UInt8>], negated: Bool)
    }

    private let tokens: [Token]

    /// Whether the pattern has any wildcard (else it names one entry literally).
    public let hasWildcards: Bool
    /// The bytes a wildcard-free pattern stands for (quotes removed).
    public let literalBytes: [UInt8]

    /// Parses one component's pattern.
    public init(bytes: [UInt8]) {
        var tokens: [Token] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\\") where index + 1 < bytes.count:
                tokens.append(.literal(bytes[index + 1]))
                index += 2
            case UInt8(ascii: "*"):
                if tokens.last != .anyRun { tokens.append(.anyRun) }
                index += 1
            case UInt8(ascii: "?"):
                tokens.append(.any)
                index += 1
            case UInt8(ascii: "["):
                if let (set, next) = Self.parseSet(bytes, from: index + 1) {
                    tokens.append(set)
                    index = next
                } else {
                    tokens.append(.literal(byte))
                    index += 1
                }
            default:
                tokens.append(.literal(byte))
                index += 1
            }
        }
        self.tokens = tokens
        hasWildcards = tokens.contains { if case .literal = $0 { false } else { true } }
        literalBytes = tokens.compactMap { if case .literal(let b) = $0 { b } else { nil } }
    }

    /// Parses a set body starting after `[`; nil when there is no closing `]` (then `[` is literal).
    private static func parseSet(_ bytes: [UInt8], from start: Int) -> (Token, Int)? {
        var index = start
        var negated = false
        if index < bytes.count && (bytes[index] == UInt8(ascii: "!") || bytes[index] == UInt8(ascii: "^")) {
            negated = true
            index += 1
        }
        var ranges: [ClosedRange<UInt8>] = []
        var first = true
        while index < bytes.count {
            var low = bytes[index]
            if low == UInt8(ascii: "]") && !first { return (.set(ranges: ranges, negated: negated), index + 1) }
            first = false
            if low == UInt8(ascii: "\\") && index + 1 < bytes.count {
                index += 1
                low = bytes[index]
            }
            if index + 2 < bytes.count && bytes[index + 1] == UInt8(ascii: "-") && bytes[index + 2] != UInt8(ascii: "]")
            {
                let high = bytes[index + 2]
                if low <= high { ranges.append(low...high) }
                index += 3
            } else {
                ranges.append(low...low)
                index += 1
            }
        }
        return nil
    }

    /// Whether `name` matches the whole pattern.
    public func matches(_ name: [UInt8]) -> Bool {
        if name.first == UInt8(ascii: "."), tokens.first != .literal(UInt8(ascii: ".")) { return false }
        // Iterative matching with one backtrack point for the last `*` (linear in practice, no recursion).
        var t = 0
        var n = 0
        var starToken = -1
        var starName = 0
        while n < name.count {
            if t < tokens.count {
                switch tokens[t] {
                case .anyRun:
                    starToken = t
                    starName = n
                    t += 1
                    continue
                case .any:
                    t += 1
                    n += 1
                    continue
                case .literal(let byte) where byte == name[n]:
                    t += 1
                    n += 1
                    continue
                case .set(let ranges, let negated) where ranges.contains(where: { $0.contains(name[n]) }) != negated:
                    t += 1
                    n += 1
                    continue
                default:
                    break
                }
            }
            guard starToken >= 0 else { return false }
            t = starToken + 1
            starName += 1
            n = starName
        }
        while t < tokens.count, tokens[t] == .anyRun { t += 1 }
        return t == tokens.count
    }
}

extension Ext4FileSystem {
    /// The most paths ``glob(_:)`` returns before failing with ``Ext4Error/Code/tooLarge``.
    public static let maxGlobResults = 100_000

    /// The existing paths that match `pattern`, each component matched as a ``GlobPattern`` against the guest's
    /// own directory entries (never the host's), sorted by bytes. Symbolic links to directories are entered
    /// when a later component needs it, inside the guest; a final component that is a link is returned
    /// itself. No match gives an empty list.
    ///
    /// Example: `try fs.glob(GuestPath("/etc/ssh/ssh_host_*key*"))`.
    public func glob(_ pattern: GuestPath) throws(Ext4Error) -> [GuestPath] {
        var candidates: [GuestPath] = [.root]
        for (index, component) in pattern.components.enumerated() {
            let piece = GlobPattern(bytes: component.bytes)
            let isLast = index == pattern.components.count - 1
            var next: [GuestPath] = []
            for base in candidates {
                if !piece.hasWildcards || component.bytes == [0x2E, 0x2E] {
                    let path = base.appending(
                        GuestName(bytes: piece.hasWildcards ? component.bytes : piece.literalBytes))
                    if try exists(path, followSymlinks: !isLast) { next.append(path) }
                    continue
                }
                let resolved: ResolvedPath
                do {
                    resolved = try resolve(base, followFinal: true)
                } catch  where error.code == .notFound || error.code == .notDirectory {
                    continue
                }
                guard let ino = resolved.inode, try handle.readInode(ino).isDirectory else { continue }
                for entry in try handle.entries(of: ino) where piece.matches(entry.name) {
                    next.append(base.appending(GuestName(bytes: entry.name)))
                    if next.count > Self.maxGlobResults {
                        throw Ext4Error(
                            .tooLarge, "more than \(Self.maxGlobResults) paths match", path: pattern.description)
                    }
                }
            }
            candidates = next
            if candidates.isEmpty { return [] }
        }
        if pattern.isRoot { return [.root] }
        return candidates.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
    }
}
