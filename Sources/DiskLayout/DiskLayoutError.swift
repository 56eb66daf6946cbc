import BlockIO

/// An error raised by the disk layout layer: a partition table that cannot be trusted, a partition that cannot
/// be opened, or a root filesystem that cannot be chosen.
///
/// Like `BlockIOError` every error names the structure and field at fault and, where there is one, the byte
/// offset on the disk, so that a user can find the problem with a hex dump.
public struct DiskLayoutError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. Extensible: layers above may match on it, new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as printed and matched.
        public let name: String
        /// A code named `name` (internal: the codes are this module's static members).
        init(_ name: String) { self.name = name }
        /// The ``name``.
        public var description: String { name }

        /// The device underneath failed (`cause` holds its error).
        public static let io = Code("io")
        /// A structure ends past the end of the disk or of the buffer it is parsed from.
        public static let truncated = Code("truncated")
        /// A magic value (`0x55AA`, `EFI PART`) is wrong.
        public static let badSignature = Code("badSignature")
        /// A CRC32 does not match.
        public static let checksumMismatch = Code("checksumMismatch")
        /// A field holds a value that is out of range or inconsistent with the disk.
        public static let invalidField = Code("invalidField")
        /// The table is well-formed but uses something we do not support (4096-byte logical sectors).
        public static let unsupported = Code("unsupported")
        /// A partition's range does not fit inside the disk.
        public static let partitionOutOfBounds = Code("partitionOutOfBounds")
        /// The partition number asked for does not exist, or cannot hold a filesystem.
        public static let noSuchPartition = Code("noSuchPartition")
        /// No partition holds a Linux filesystem that could be the root.
        public static let noRootCandidate = Code("noRootCandidate")
        /// Several partitions could be the Linux root and nothing tells them apart.
        public static let ambiguousRoot = Code("ambiguousRoot")
        /// libblkid (or the memory file it reads) failed.
        public static let probeFailed = Code("probeFailed")
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence for a person, naming the field and what was found.
    public var message: String
    /// The structure concerned, e.g. `"primary GPT header"` or `"EBR"`.
    public var structure: String?
    /// The field concerned, e.g. `"header size"`.
    public var field: String?
    /// The byte offset on the disk at fault, when there is one.
    public var offset: UInt64?
    /// The block I/O error underneath, when there is one.
    public var cause: (any Error & Sendable)?
    /// For ``Code/ambiguousRoot`` and ``Code/noSuchPartition``: the partition numbers one may choose from.
    public var candidates: [Int]
    /// The image file the disk was read from, when the caller knows it (the layout reader sees only a block
    /// device); the description starts with it.
    public var image: String?

    /// An error of kind `code` with a sentence for a person, where it happened and what caused it.
    public init(
        _ code: Code, _ message: String, structure: String? = nil, field: String? = nil, offset: UInt64? = nil,
        cause: (any Error & Sendable)? = nil, candidates: [Int] = []
    ) {
        self.code = code
        self.message = message
        self.structure = structure
        self.field = field
        self.offset = offset
        self.cause = cause
        self.candidates = candidates
    }

    /// The sentence a person reads: the image, the structure, the message, the field, the disk offset
    /// and the cause.
    public var description: String {
        var text = ""
        if let image { text += "\(image): " }
        if let structure { text += "\(structure): " }
        text += message
        if let field { text += " [field: \(field)]" }
        if let offset { text += " (at disk byte offset \(offset))" }
        if let cause { text += ": \(cause)" }
        return text
    }
}
