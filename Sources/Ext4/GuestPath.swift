/// A path inside the guest filesystem, always relative to the guest root.
///
/// A guest path is a list of components, never a host path: it is resolved only by
/// ``Ext4FileSystem``'s own walker, which keeps `..` from climbing above the guest root and resolves absolute
/// symlink targets against the guest root. Parsing drops empty components and `.`; `..` is kept, because its
/// meaning depends on the symlinks met on the way. A leading `/` is optional: `etc/passwd` and `/etc/passwd`
/// name the same file.
public struct GuestPath: Hashable, Sendable, CustomStringConvertible {
    /// The longest component ext2/3/4 can store.
    public static let maxComponentLength = 255
    /// The longest path accepted, in bytes (Linux's PATH_MAX).
    public static let maxLength = 4096

    /// The components from the root, `..` included.
    public let components: [GuestName]

    /// The guest root, `/`.
    public static let root = GuestPath(validated: [])

    init(validated components: [GuestName]) { self.components = components }

    /// Parses `string`'s UTF-8 bytes as a path.
    ///
    /// - Throws: ``Ext4Error/Code/invalidPath`` for an empty string, a NUL byte, a component longer than
    ///   255 bytes or a path longer than 4096 bytes.
    public init(_ string: String) throws(Ext4Error) { try self.init(bytes: Array(string.utf8)) }

    /// Parses a path given as raw bytes (for names that are not UTF-8).
    public init(bytes: [UInt8]) throws(Ext4Error) {
        let shown = Escaping.escape(bytes)
        guard !bytes.isEmpty else { throw Ext4Error(.invalidPath, "empty guest path") }
        guard bytes.count <= Self.maxLength else {
            throw Ext4Error(.invalidPath, "guest path is longer than \(Self.maxLength) bytes", path: shown)
        }
        guard !bytes.contains(0) else { throw Ext4Error(.invalidPath, "guest path contains a NUL byte", path: shown) }
        var parts: [GuestName] = []
        for piece in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if piece.count == 1 && piece.first == UInt8(ascii: ".") { continue }
            guard piece.count <= Self.maxComponentLength else {
                throw Ext4Error(
                    .invalidPath, "a component is longer than \(Self.maxComponentLength) bytes", path: shown)
            }
            parts.append(GuestName(bytes: Array(piece)))
        }
        self.components = parts
    }

    /// The path as printable text: `/` plus components escaped as in ``GuestName/display``.
    public var description: String { "/" + components.map(\.display).joined(separator: "/") }

    /// The raw bytes, `/`-separated, starting with `/`.
    public var bytes: [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "/")]
        for (index, name) in components.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "/")) }
            out += name.bytes
        }
        return out
    }

    /// Whether this is the root (no components).
    public var isRoot: Bool { components.isEmpty }

    /// The last component, if any.
    public var lastComponent: GuestName? { components.last }

    /// The path without its last component (the root stays the root).
    public var parent: GuestPath { GuestPath(validated: Array(components.dropLast())) }

    /// This path with `name` appended.
    public func appending(_ name: GuestName) -> GuestPath { GuestPath(validated: components + [name]) }

    /// This path with `name`'s UTF-8 bytes appended as one component.
    public func appending(_ name: String) -> GuestPath { appending(GuestName(name)) }

    /// The path with `..` resolved lexically (clamped at the root), as a walker without symlinks would.
    public var lexicallyNormalized: GuestPath {
        var out: [GuestName] = []
        for name in components {
            if name.bytes == [UInt8(ascii: "."), UInt8(ascii: ".")] { _ = out.popLast() } else { out.append(name) }
        }
        return GuestPath(validated: out)
    }
}
