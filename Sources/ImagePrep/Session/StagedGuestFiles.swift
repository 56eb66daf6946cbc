/// A view of a guest filesystem with a plan's changes applied in memory, over an unchanged base.
///
/// Operations plan one after another against this view, so each sees what the previous ones did (two edits of
/// `ifcfg-eth0` chain; a file deleted by one is gone for the next) while the image is not touched. A dry run
/// stops here; a real run replays ``changes`` on the real filesystem.
public final class StagedGuestFiles: GuestFiles {
    private enum Entry {
        case file([UInt8], mode: UInt16)
        case link(String)
        case removed
    }

    /// The filesystem the view starts from (never written by this class).
    public let base: any GuestFiles
    /// The changes staged so far, in order.
    public private(set) var changes: [PlannedChange] = []
    private var entries: [String: Entry] = [:]
    private var removedTrees: [String] = []

    /// A view of `base` with nothing staged yet.
    public init(base: any GuestFiles) { self.base = base }

    /// Stages `change` (its contents must be set for rewrites and creates).
    public func stage(_ change: PlannedChange) {
        switch change.action {
        case .delete:
            entries[change.path] = .removed
        case .deleteTree:
            try? removeTree(change.path)
        case .truncate:
            entries[change.path] = .file([], mode: currentMode(change.path) ?? 0o644)
        case .symlink:
            entries[change.path] = .link(String(decoding: change.contents ?? [], as: UTF8.self))
        case .rewrite, .create:
            entries[change.path] = .file(
                change.contents ?? [], mode: currentMode(change.path) ?? change.newFileMode ?? 0o644)
        }
        changes.append(change)
    }

    private func currentMode(_ path: String) -> UInt16? { (try? lstat(path))?.map(\.mode) ?? nil }

    private func inRemovedTree(_ path: String) -> Bool {
        removedTrees.contains { PathText.isInside(path, $0) }
    }

    /// A staged file (a regular file with its staged size and mode, the base's owner), nothing for a
    /// staged removal or a path in a removed tree, else the base's answer.
    public func lstat(_ path: String) throws(ImagePrepError) -> GuestFileInfo? {
        if let entry = entries[path] {
            switch entry {
            case .removed: return nil
            case .link(let target): return GuestFileInfo(type: .symlink, size: UInt64(target.utf8.count), mode: 0o777)
            case .file(let bytes, let mode):
                let old = inRemovedTree(path) ? nil : try base.lstat(path)
                return GuestFileInfo(
                    type: .regular, size: UInt64(bytes.count), mode: mode, uid: old?.uid ?? 0, gid: old?.gid ?? 0)
            }
        }
        if inRemovedTree(path) { return nil }
        return try base.lstat(path)
    }

    /// The staged bytes of `path`, else the base's.
    ///
    /// - Throws: ``ImagePrepError/Code/notFound`` when the path is removed in this view.
    public func readFile(_ path: String, limit: Int) throws(ImagePrepError) -> [UInt8] {
        if case .file(let bytes, _)? = entries[path] { return bytes }
        if case .link? = entries[path] {
            guard let resolved = try resolve(path), resolved != path else {
                throw ImagePrepError(.notFound, "dangling symlink", path: path)
            }
            return try readFile(resolved, limit: limit)
        }
        guard try lstat(path) != nil else { throw ImagePrepError(.notFound, "no such file", path: path) }
        return try base.readFile(path, limit: limit)
    }

    /// The first `count` staged bytes of `path`, else the base's.
    public func readPrefix(_ path: String, count: Int) throws(ImagePrepError) -> [UInt8] {
        if case .file(let bytes, _)? = entries[path] { return Array(bytes.prefix(count)) }
        if case .link? = entries[path] { return Array(try readFile(path, limit: .max).prefix(count)) }
        guard try lstat(path) != nil else { throw ImagePrepError(.notFound, "no such file", path: path) }
        return try base.readPrefix(path, count: count)
    }

    /// Stages `contents` at `path` (the current mode kept, `newFileMode` for a new file); the base is not
    /// written.
    public func writeFile(_ path: String, contents: [UInt8], newFileMode: UInt16) throws(ImagePrepError) {
        entries[path] = .file(contents, mode: currentMode(path) ?? newFileMode)
    }

    /// Stages the removal of `path`.
    public func removeFile(_ path: String) throws(ImagePrepError) { entries[path] = .removed }

    /// Stages a symbolic link at `path` pointing to `target`.
    public func makeSymlink(_ path: String, target: String) throws(ImagePrepError) { entries[path] = .link(target) }

    /// Stages the removal of `path` and everything under it.
    public func removeTree(_ path: String) throws(ImagePrepError) {
        removedTrees.append(path)
        for key in entries.keys where PathText.isInside(key, path) { entries[key] = .removed }
    }

    /// The base's names with staged files added and staged removals taken away, sorted.
    public func listDirectory(_ path: String) throws(ImagePrepError) -> [String] {
        guard !inRemovedTree(path) else { return [] }
        var names = Set(try base.listDirectory(path))
        for (key, entry) in entries where PathText.parent(key) == path && key != "/" {
            switch entry {
            case .removed: names.remove(PathText.name(key))
            case .file, .link: names.insert(PathText.name(key))
            }
        }
        return names.sorted()
    }

    /// The target of a staged link, or else the base's.
    ///
    /// - Throws: ``ImagePrepError/Code/unexpectedFile`` when `path` is not a symlink in this view.
    public func readLink(_ path: String) throws(ImagePrepError) -> String {
        if case .link(let target)? = entries[path] { return target }
        guard try lstat(path)?.type == .symlink else {
            throw ImagePrepError(.unexpectedFile, "not a symlink", path: path)
        }
        return try base.readLink(path)
    }
}
