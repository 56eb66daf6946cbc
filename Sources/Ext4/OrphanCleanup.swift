/// What processing the orphan list did.
public struct OrphanCleanup: Sendable, Hashable, Codable {
    /// Inodes whose last link was gone: their blocks, attributes and the inode itself freed.
    public var released: Int
    /// Inodes still linked: the blocks past their size freed (an interrupted truncate finished).
    public var truncated: Int

    /// A count of `released` and `truncated` inodes.
    public init(released: Int, truncated: Int) {
        self.released = released
        self.truncated = truncated
    }
}
