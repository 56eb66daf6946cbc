extension ConfigText {
    /// The content of every line, without its terminator, in file order: for reading a text line by line.
    public var contents: [String] { lines.map(\.content) }
}
