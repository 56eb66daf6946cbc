public import BlockIO

/// An error raised by the ext2/3/4 layer: a guest path that cannot be resolved, an operation the filesystem
/// refuses, a filesystem that is damaged or unsafe to write, or a failure of the device underneath.
///
/// Every error names the guest path it concerns (when there is one), the libext2fs error code (when libext2fs
/// reported it) and, when the block device failed, the device's own `BlockIOError`.
public struct Ext4Error: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. Extensible: layers above match on it; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as printed.
        public let name: String
        /// A code named `name` (internal: the codes are this module's static members).
        init(_ name: String) { self.name = name }
        /// The ``name``.
        public var description: String { name }

        /// A path component does not exist.
        public static let notFound = Code("notFound")
        /// The name to create is already taken.
        public static let exists = Code("exists")
        /// A directory was needed (an intermediate component, `list`, `rmdir`), but this is not one.
        public static let notDirectory = Code("notDirectory")
        /// A non-directory was needed (`read`, `write`, `remove`), but this is a directory.
        public static let isDirectory = Code("isDirectory")
        /// A directory to delete or replace still has entries.
        public static let notEmpty = Code("notEmpty")
        /// No free blocks or inodes are left.
        public static let noSpace = Code("noSpace")
        /// Resolving a path followed more than ``Ext4FileSystem/maxSymlinkHops`` symbolic links.
        public static let symlinkLoop = Code("symlinkLoop")
        /// The filesystem was opened read-only.
        public static let readOnly = Code("readOnly")
        /// The journal holds transactions that were never replayed (an image of a running VM).
        public static let needsRecovery = Code("needsRecovery")
        /// On-disk structures are damaged or inconsistent (bad magic, checksum, recorded errors).
        public static let corrupt = Code("corrupt")
        /// The filesystem uses a feature this library cannot handle safely.
        public static let unsupportedFeature = Code("unsupportedFeature")
        /// The block device underneath failed (`underlying` holds its error).
        public static let io = Code("io")
        /// The operation would leave the guest root (for example renaming the root itself).
        public static let escapesRoot = Code("escapesRoot")
        /// A guest path is malformed (NUL byte, over-long component, empty).
        public static let invalidPath = Code("invalidPath")
        /// An argument is not acceptable (mode bits out of range, `.` or `..` as a name to create).
        public static let invalidArgument = Code("invalidArgument")
        /// `readlink` was asked about something that is not a symbolic link.
        public static let notSymlink = Code("notSymlink")
        /// A file is larger than the caller's limit.
        public static let tooLarge = Code("tooLarge")
        /// An earlier change of this session failed part-way; the session must be abandoned, not closed.
        public static let aborted = Code("aborted")
        /// The ext3/ext4 journal (jbd2) cannot be replayed: a damaged or hostile log, named by journal block and
        /// field.
        public static let journal = Code("journal")
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence for a person: what failed and, where it helps, what to do.
    public var message: String
    /// The guest path concerned, in its escaped display form, when there is one.
    public var path: String?
    /// The libext2fs (`errcode_t`) value, when libext2fs reported the failure.
    public var errcode: Int?
    /// The error that caused this one, when there is one: the device's `BlockIOError` when the block
    /// device failed underneath libext2fs (as swift-nio's `FileSystemError.cause`).
    public var cause: (any Error & Sendable)?
    /// The device's error when the block device failed underneath libext2fs (``cause`` as a `BlockIOError`).
    public var underlying: BlockIOError? {
        get { cause as? BlockIOError }
        set { cause = newValue }
    }
    /// The image file holding the filesystem, when the caller knows it (the filesystem sees only a block
    /// device); the description starts with it.
    public var image: String?

    /// An error of kind `code` with a sentence for a person and what it concerns.
    public init(
        _ code: Code, _ message: String, path: String? = nil, errcode: Int? = nil, underlying: BlockIOError? = nil,
        cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.errcode = errcode
        self.cause = cause ?? underlying
    }

    /// The sentence a person reads: the image, the guest path, the message, and the device's error or
    /// the cause.
    public var description: String {
        var text = ""
        if let image { text += "\(image): " }
        if let path { text += "\(path): " }
        text += message
        if let underlying {
            text += " (device: \(underlying))"
        } else if let cause {
            text += ": \(cause)"
        }
        return text
    }

    /// The same error, naming `path` when it does not name one yet.
    func at(_ path: GuestPath) -> Ext4Error {
        var copy = self
        if copy.path == nil { copy.path = path.description }
        return copy
    }
}
