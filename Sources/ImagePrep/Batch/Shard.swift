import GuestConfig

/// A stable share of a manifest for one worker of many: `--shard I/N`, or Kubernetes' `JOB_COMPLETION_INDEX`
/// with a shard count.
///
/// Item `k` (0-based, in manifest order) belongs to shard `k % N`, so the N shards are disjoint, together cover
/// the manifest, differ in size by at most one, and depend only on the manifest's content and order.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 0-based.
    public let index: Int
    /// The number of shards, at least 1.
    public let count: Int

    /// - Throws: ``ImagePrepError/Code/invalidArgument`` unless `0 <= index < count`.
    public init(index: Int, count: Int) throws(ImagePrepError) {
        guard count >= 1, index >= 0, index < count else {
            throw ImagePrepError(.invalidArgument, "shard \(index)/\(count): need 0 <= index < count")
        }
        self.index = index
        self.count = count
    }

    /// Parses `I/N`.
    public init(parsing text: String) throws(ImagePrepError) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw ImagePrepError(.invalidArgument, "shard '\(text)': expected INDEX/COUNT, for example 0/4")
        }
        try self.init(index: index, count: count)
    }

    /// The shard named by `JOB_COMPLETION_INDEX` in `environment`, out of `count`.
    public static func fromEnvironment(_ environment: [String: String], count: Int) throws(ImagePrepError) -> Shard {
        guard let text = environment["JOB_COMPLETION_INDEX"], let index = Int(text) else {
            throw ImagePrepError(
                .invalidArgument,
                "--shard-count needs JOB_COMPLETION_INDEX in the environment (a Kubernetes Indexed Job sets it)")
        }
        return try Shard(index: index, count: count)
    }

    /// This shard's items of `items`, in order.
    public func select<T>(_ items: [T]) -> [T] {
        items.enumerated().filter { $0.offset % count == index }.map(\.element)
    }

    /// `I/N`, as `--shard` takes it.
    public var description: String { "\(index)/\(count)" }
}

/// A manifest: one image path per line; blank lines and `#` comments ignored; relative paths are relative to
/// the manifest's folder.
public enum Manifest {
    /// The image paths listed in `text`, with relative paths joined to `folder`.
    public static func parse(_ text: String, folder: String) -> [String] {
        ConfigText(text).contents.map(\.trimmingSpaces).filter { !$0.isEmpty && !$0.hasPrefix("#") }.map { line in
            line.hasPrefix("/") || folder.isEmpty ? line : PathText.join(folder, line)
        }
    }
}
