/// An error raised by the block I/O layer: a host file that cannot be used, or an image structure that is
/// malformed.
///
/// Every error names the file it concerns and, where it has one, the structure, the field and the byte offset
/// at fault, so that a user can find the problem with a hex dump.
public struct BlockIOError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. Extensible: layers above may match on it, new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as printed and matched.
        public let name: String
        /// A code named `name` (internal: the codes are this module's static members).
        init(_ name: String) { self.name = name }
        /// The ``name``.
        public var description: String { name }

        /// A system call failed (`cause` holds the errno).
        public static let io = Code("io")
        /// The file ended before a structure or a read it needed.
        public static let truncated = Code("truncated")
        /// A magic value (cookie) is wrong.
        public static let badCookie = Code("badCookie")
        /// A checksum does not match.
        public static let checksumMismatch = Code("checksumMismatch")
        /// A structure is well-formed but uses a version or type we do not support.
        public static let unsupported = Code("unsupported")
        /// A field holds a value that is out of range or inconsistent with the file.
        public static let invalidField = Code("invalidField")
        /// A read or write goes outside the device.
        public static let outOfBounds = Code("outOfBounds")
        /// A write was attempted on a device opened read-only.
        public static let readOnly = Code("readOnly")
        /// Another process holds a conflicting lock on the image.
        public static let inUse = Code("inUse")
        /// A differencing disk's parent cannot be found, does not match, or the chain loops.
        public static let parent = Code("parent")
        /// An argument given by the caller is not acceptable.
        public static let invalidArgument = Code("invalidArgument")
        /// A size field (or a requested size) is larger than the format or the file allows.
        public static let tooLarge = Code("tooLarge")
        /// Two on-disk structures claim the same bytes (a BAT entry pointing into metadata or another block).
        public static let overlap = Code("overlap")
        /// The file is a container vhdedit does not read (VMDK, VDI, QED, LUKS, a compressed file …); the
        /// message names it and how to convert it.
        public static let unsupportedFormat = Code("unsupportedFormat")
        /// The image's format is read but never written (qcow2, VHDX): a writing command needs a converted copy.
        public static let readOnlyFormat = Code("readOnlyFormat")
        /// The image file (or a file of its chain) cannot be opened: `open(2)` failed (``BlockIOError/errno``
        /// says why). Layers above say "cannot open the image" once, deciding by this code.
        public static let cannotOpen = Code("cannotOpen")
        /// A VHD whose footer has `saved_state` set was opened for writing: the specification forbids changing
        /// the disk of a saved virtual machine.
        public static let savedState = Code("savedState")
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence for a person, naming the field and what was found.
    public var message: String
    /// The host file concerned, when there is one.
    public var path: String?
    /// The on-disk structure concerned (`"VHD footer"`, `"dynamic disk header"`, `"BAT"` …), when there is one.
    public var structure: String?
    /// The field of `structure` at fault (`"checksum"`, `"block_size"` …), when there is one.
    public var field: String?
    /// The byte offset in `path` at fault, when there is one.
    public var offset: UInt64?
    /// The errno of a failed system call, when there is one.
    public var errno: Int32?
    /// The error that caused this one, when there is one (as swift-nio's `FileSystemError.cause`).
    public var cause: (any Error & Sendable)?

    /// An error with its code, message and, when known, where it happened and what caused it.
    public init(
        _ code: Code, _ message: String, path: String? = nil, offset: UInt64? = nil, errno: Int32? = nil,
        structure: String? = nil, field: String? = nil, cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.offset = offset
        self.errno = errno
        self.structure = structure
        self.field = field
        self.cause = cause
    }

    /// The sentence a person reads: the file, the structure and field, the message, the offset, the
    /// system error and the cause.
    public var description: String {
        var text = ""
        if let path { text += "\(path): " }
        if let structure { text += field.map { "\(structure) field \($0): " } ?? "\(structure): " }
        text += message
        if let offset { text += " (at byte offset \(offset))" }
        if let errno { text += ": \(SystemError.describe(errno))" }
        if let cause { text += ": \(cause)" }
        return text
    }
}
