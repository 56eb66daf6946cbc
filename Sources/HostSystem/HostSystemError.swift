#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An error raised by a host-side call: a host file, folder or child program that cannot be used.
///
/// Its ``description`` reads as the block layer's errors do (`PATH: MESSAGE (at byte offset N): REASON`), so that a
/// command prints the same line whichever layer the failure came from.
public struct HostSystemError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. Layers above may match on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as printed and matched.
        public let name: String
        /// A code named `name` (internal: the codes are this module's static members).
        init(_ name: String) { self.name = name }
        /// The ``name``.
        public var description: String { name }

        /// A system call failed (``HostSystemError/errno`` holds why).
        public static let io = Code("io")
        /// A path given by the caller is not acceptable (a symbolic link where a file is written, say).
        public static let invalidArgument = Code("invalidArgument")
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence for a person, saying what failed.
    public var message: String
    /// The host path concerned, when there is one.
    public var path: String?
    /// The byte offset in `path` at fault, when there is one.
    public var offset: UInt64?
    /// The errno of the failed system call, when there is one.
    public var errno: Int32?
    /// The error that caused this one, when there is one (as swift-nio's `FileSystemError.cause`).
    public var cause: (any Error & Sendable)?

    /// An error with its code, message and, when known, where it happened and what caused it.
    public init(
        _ code: Code, _ message: String, path: String? = nil, offset: UInt64? = nil, errno: Int32? = nil,
        cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.offset = offset
        self.errno = errno
        self.cause = cause
    }

    /// The sentence a person reads: the path, the message, the offset, the system error and the cause.
    public var description: String {
        var text = ""
        if let path { text += "\(path): " }
        text += message
        if let offset { text += " (at byte offset \(offset))" }
        if let errno { text += ": \(Self.describe(errno))" }
        if let cause { text += ": \(cause)" }
        return text
    }

    /// The text `strerror` gives for `code`.
    public static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
