/// An error raised by the guest configuration layer: an edit that cannot be made, or a value that the file's
/// format does not accept.
///
/// Problems found in the *input* (a malformed line, a duplicate key) are not errors: the line is kept as it is
/// and reported as a ``ConfigFinding``. Errors are for requests that cannot be honoured.
public struct GuestConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is. Extensible.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as printed.
        public let name: String
        /// A code with this name.
        init(_ name: String) { self.name = name }
        /// The ``name``.
        public var description: String { name }

        /// The bytes are not valid UTF-8.
        public static let invalidEncoding = Code("invalidEncoding")
        /// A value given by the caller is not valid for the key (type, range or enum).
        public static let invalidValue = Code("invalidValue")
        /// A key or argument given by the caller is not well-formed.
        public static let invalidArgument = Code("invalidArgument")
        /// The edit would not fit the file's fixed size (grubenv).
        public static let noSpace = Code("noSpace")
        /// The file's structure does not allow the edit (for example a grubenv without its header).
        public static let malformed = Code("malformed")
        /// The path does not name a file kind this layer can edit.
        public static let unsupportedFile = Code("unsupportedFile")
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence for a person, naming the key or field and what was wrong.
    public var message: String
    /// The guest path concerned, when known.
    public var path: String?
    /// The 1-based line number concerned, when there is one.
    public var line: Int?
    /// The byte offset concerned, when there is one.
    public var offset: Int?
    /// The key, field or argument concerned, when there is one.
    public var field: String?
    /// The error that caused this one, when there is one (this layer does no I/O, so it is rare).
    public var cause: (any Error & Sendable)?

    /// An error with its code, message and, when known, where and what caused it.
    public init(
        _ code: Code, _ message: String, path: String? = nil, line: Int? = nil, offset: Int? = nil,
        field: String? = nil, cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.line = line
        self.offset = offset
        self.field = field
        self.cause = cause
    }

    /// Equal when every field is, the causes compared by their descriptions.
    public static func == (lhs: GuestConfigError, rhs: GuestConfigError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.path == rhs.path && lhs.line == rhs.line
            && lhs.offset == rhs.offset && lhs.field == rhs.field
            && lhs.cause.map { "\($0)" } == rhs.cause.map { "\($0)" }
    }

    /// The sentence a person reads: `path:line: field: message (at byte offset N): cause`, each part
    /// when known.
    public var description: String {
        var text = ""
        if let path {
            text += path
            text += line.map { ":\($0)" } ?? ""
            text += ": "
        } else if let line {
            text += "line \(line): "
        }
        if let field { text += "\(field): " }
        text += message
        if let offset { text += " (at byte offset \(offset))" }
        if let cause { text += ": \(cause)" }
        return text
    }
}
