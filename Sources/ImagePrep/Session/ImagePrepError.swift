/// An error raised by the image-preparation layer: a guest file that cannot be read or written, an image that
/// cannot be opened as a Linux guest, or an argument that names an unknown operation.
///
/// Like every layer's error it carries a ``Code`` to match on, a sentence for a person, the guest path (or host
/// image) concerned, and the error from the layer below that caused it, typed.
public struct ImagePrepError: Error, CustomStringConvertible, Sendable, Codable {
    /// What kind of failure this is. Extensible: new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible, Codable {
        /// The code's name, as printed and matched.
        public let name: String
        /// A code named `name`.
        init(_ name: String) { self.name = name }
        /// The ``name``.
        public var description: String { name }

        /// A guest path does not exist where the operation needs it.
        public static let notFound = Code("notFound")
        /// A guest file is not what the operation expects (a directory where a file was wanted, too large...).
        public static let unexpectedFile = Code("unexpectedFile")
        /// Reading or writing the guest filesystem failed (the cause says why).
        public static let filesystem = Code("filesystem")
        /// The image or its partitions cannot be opened (the cause says why).
        public static let image = Code("image")
        /// No Linux root filesystem was found, or the choice is ambiguous.
        public static let noRoot = Code("noRoot")
        /// An argument is not acceptable (unknown operation name, bad shard...).
        public static let invalidArgument = Code("invalidArgument")
        /// Committing the changes failed; the image is as it was before.
        public static let commit = Code("commit")
        /// A guest file changed between being read out and written back (`edit`); nothing was written.
        public static let changed = Code("changed")
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence for a person.
    public var message: String
    /// The guest path concerned, when there is one.
    public var path: String?
    /// The host image concerned, when there is one.
    public var image: String?
    /// The error from the layer below that caused this one, when there is one (as swift-nio's
    /// `FileSystemError.cause`): a `BlockIOError`, `DiskLayoutError`, `Ext4Error`... A cause given as
    /// text (the first initializer) is a ``CauseText``. Encoded (`Codable`) as its description.
    public var cause: (any Error & Sendable)?

    /// An error whose cause, when there is one, is told as text.
    public init(_ code: Code, _ message: String, path: String? = nil, image: String? = nil, cause: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.image = image
        self.cause = cause.map(CauseText.init)
    }

    /// An error caused by `cause`, an error of the layer below (kept typed: match on it with `as?`).
    public init(_ code: Code, _ message: String, path: String? = nil, image: String? = nil, cause: any Error & Sendable)
    {
        self.code = code
        self.message = message
        self.path = path
        self.image = image
        self.cause = cause
    }

    /// The sentence a person reads: `image: path: message: cause`, each part when known.
    public var description: String {
        var text = ""
        if let image { text += "\(image): " }
        if let path { text += "\(path): " }
        text += message
        if let cause { text += ": \(cause)" }
        return text
    }

    enum CodingKeys: String, CodingKey { case code, message, path, image, cause }

    /// Decodes an error as ``encode(to:)`` wrote it (the cause as a ``CauseText``).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            try container.decode(Code.self, forKey: .code), try container.decode(String.self, forKey: .message),
            path: try container.decodeIfPresent(String.self, forKey: .path),
            image: try container.decodeIfPresent(String.self, forKey: .image),
            cause: try container.decodeIfPresent(String.self, forKey: .cause))
    }

    /// Encodes the code, message, path, image and the cause's text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(path, forKey: .path)
        try container.encodeIfPresent(image, forKey: .image)
        try container.encodeIfPresent(cause.map { "\($0)" }, forKey: .cause)
    }
}

/// A cause known only as text (an error decoded from JSON, or a reason given as a sentence).
public struct CauseText: Error, CustomStringConvertible, Sendable, Equatable {
    /// The cause, as a person reads it.
    public var description: String
    /// A cause told by `description`.
    public init(_ description: String) { self.description = description }
}
