/// Something an editor noticed about its input and reports instead of "fixing": a malformed line kept as it
/// is, a duplicate key, an include that points at another file, a value out of range.
public struct ConfigFinding: Sendable, Hashable, CustomStringConvertible {
    /// How much the finding matters.
    public enum Severity: String, Sendable, Hashable {
        /// Worth knowing (an include, a variable reference left alone).
        case info
        /// Probably wrong, or an edit was not made because of it.
        case warning
    }

    /// What kind of finding this is. Extensible.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as printed.
        public let name: String
        /// A code with this name.
        public init(_ name: String) { self.name = name }
        /// The ``name``.
        public var description: String { name }

        /// A line that does not follow the file's syntax; kept unchanged.
        public static let malformedLine = Kind("malformedLine")
        /// A key set more than once; which one wins is explained in the message.
        public static let duplicateKey = Kind("duplicateKey")
        /// The file includes another file (sudoers `#include`, sshd `Include`).
        public static let include = Kind("include")
        /// A value refers to a variable (`$kernelopts`) that this editor leaves alone.
        public static let variableReference = Kind("variableReference")
        /// A value is outside the range or set the consumer accepts.
        public static let invalidValue = Kind("invalidValue")
        /// A requested edit was not made (the message says why).
        public static let skipped = Kind("skipped")
        /// A key this editor does not know; kept unchanged.
        public static let unknownKey = Kind("unknownKey")
    }

    /// How much the finding matters.
    public var severity: Severity
    /// What kind of finding this is.
    public var kind: Kind
    /// The 1-based line number, when the finding concerns one line.
    public var line: Int?
    /// A sentence for a person.
    public var message: String

    /// A finding.
    public init(_ severity: Severity, _ kind: Kind, line: Int? = nil, _ message: String) {
        self.severity = severity
        self.kind = kind
        self.line = line
        self.message = message
    }

    /// `severity: line N: message`.
    public var description: String {
        "\(severity.rawValue): " + (line.map { "line \($0): " } ?? "") + message
    }
}
