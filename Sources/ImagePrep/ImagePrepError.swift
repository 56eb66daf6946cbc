/// An error raised by the image-preparation layer: a guest file that cannot be read or written, an image that
/// cannot be opened as a Linux guest, or an argument that names an unknown operation.
///
/// Like every layer's error it carries a ``Code`` to match on, a sentence for a person, the guest path (or host
/// image) concerned, and the underlying error from the layer below as text.
public struct ImagePrepError: Error, CustomStringConvertible, Sendable, Codable {
    /// What kind of failure this is. Extensible: new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible, Codable {
        public let name: String
        public init(_ name: String) { self.name = name }
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
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence for a person.
    public var message: String
    /// The guest path concerned, when there is one.
    public var path: String?
    /// The host image concerned, when there is one.
    public var image: String?
    /// The underlying error from the layer below, as text.
    public var cause: String?

    public init(_ code: Code, _ message: String, path: String? = nil, image: String? = nil, cause: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.image = image
        self.cause = cause
    }

    public var description: String {
        var text = ""
        if let image { text += "\(image): " }
        if let path { text += "\(path): " }
        text += message
        if let cause { text += ": \(cause)" }
        return text
    }
}
