public import Ext4

/// ``GuestFiles`` over an ext2/3/4 filesystem of an image, through the Ext4 layer's contained path walker (no
/// guest path ever reaches the host).
///
/// Names that are not UTF-8 travel as the Ext4 layer's escaped display form and are unescaped on the way back,
/// so every name listed can be removed again.
public final class Ext4GuestFiles: GuestFiles {
    /// The filesystem (not thread-safe: one caller at a time).
    public let filesystem: Ext4FileSystem

    /// The guest files of `filesystem`.
    public init(filesystem: Ext4FileSystem) { self.filesystem = filesystem }

    func guestPath(_ path: String) -> GuestPath {
        var result = GuestPath.root
        for part in PathText.components(path) { result = result.appending(GuestName(escaped: part)) }
        return result
    }

    static func wrap(_ error: Ext4Error, _ path: String) -> ImagePrepError {
        let code: ImagePrepError.Code =
            error.code == .notFound ? .notFound : error.code == .tooLarge ? .unexpectedFile : .filesystem
        return ImagePrepError(code, error.message, path: path, cause: error.code.name)
    }

    /// The ext4 `lstat` of `path`; `nil` when it, or a directory on the way, is missing.
    public func lstat(_ path: String) throws(ImagePrepError) -> GuestFileInfo? {
        let status: FileStatus
        do {
            status = try filesystem.lstat(guestPath(path))
        } catch {
            if error.code == .notFound || error.code == .notDirectory { return nil }
            throw Self.wrap(error, path)
        }
        return Self.info(status)
    }

    /// The bytes of the file at `path` (links followed inside the guest).
    ///
    /// - Throws: ``ImagePrepError/Code/unexpectedFile`` above `limit` bytes, ``ImagePrepError/Code/notFound``.
    public func readFile(_ path: String, limit: Int) throws(ImagePrepError) -> [UInt8] {
        do { return try filesystem.readFile(guestPath(path), limit: limit) } catch { throw Self.wrap(error, path) }
    }

    private struct EnoughRead: Error {}

    /// The first `count` bytes of the file at `path`, read a chunk at a time (not the whole file).
    public func readPrefix(_ path: String, count: Int) throws(ImagePrepError) -> [UInt8] {
        let target = guestPath(path)
        var head: [UInt8] = []
        do {
            try filesystem.readChunks(target, chunkSize: max(count, 1)) { chunk in
                head.append(contentsOf: chunk.prefix(count - head.count))
                if head.count >= count { throw EnoughRead() }
            }
        } catch is EnoughRead {
        } catch let error as Ext4Error {
            throw Self.wrap(error, path)
        } catch {
            throw ImagePrepError(.filesystem, "\(error)", path: path)
        }
        return head
    }

    /// Replaces the regular file at `path` (mode and owner kept) or creates it `root:root` with
    /// `newFileMode`; a symlink at `path` is replaced, never written through.
    public func writeFile(_ path: String, contents: [UInt8], newFileMode: UInt16) throws(ImagePrepError) {
        let target = guestPath(path)
        do {
            let existing = try lstat(path)
            if existing?.type == .regular {
                try filesystem.writeFile(target, contents: contents)
            } else {
                try filesystem.writeFile(
                    target, contents: contents, options: WriteOptions(mode: newFileMode, uid: 0, gid: 0))
            }
        } catch let error as Ext4Error {
            throw Self.wrap(error, path)
        } catch let error as ImagePrepError {
            throw error
        } catch {
            throw ImagePrepError(.filesystem, "\(error)", path: path)
        }
    }

    /// Removes the file or symlink at `path` (the link itself).
    public func removeFile(_ path: String) throws(ImagePrepError) {
        do { try filesystem.remove(guestPath(path)) } catch { throw Self.wrap(error, path) }
    }

    /// Removes the directory at `path` and everything under it.
    public func removeTree(_ path: String) throws(ImagePrepError) {
        do { try filesystem.removeDirectory(guestPath(path), recursive: true) } catch { throw Self.wrap(error, path) }
    }

    /// The names in the directory at `path`, in their display form.
    public func listDirectory(_ path: String) throws(ImagePrepError) -> [String] {
        do { return try filesystem.list(guestPath(path)).map(\.name.display) } catch { throw Self.wrap(error, path) }
    }

    /// The guest path string of `path` (each name in the display form ``listDirectory(_:)`` gives).
    static func text(_ path: GuestPath) -> String {
        "/" + path.components.map(\.display).joined(separator: "/")
    }

    /// `path` resolved by the filesystem's own walker (`Ext4FileSystem/existingRealPath(_:)`), in one walk
    /// instead of an `lstat` of every prefix.
    public func resolve(_ path: String) throws(ImagePrepError) -> String? {
        do { return try filesystem.existingRealPath(guestPath(path)).map(Self.text) } catch {
            throw Self.wrap(error, path)
        }
    }

    /// The paths matching `pattern`, by the filesystem's own `Ext4FileSystem/glob(_:)` (sorted as the
    /// default sorts them, by text).
    public func glob(_ pattern: String) throws(ImagePrepError) -> [String] {
        do { return try filesystem.glob(guestPath(pattern)).map(Self.text).filter { $0 != "/" }.sorted() } catch {
            throw Self.wrap(error, pattern)
        }
    }

    /// The target of the symlink at `path`, as stored.
    public func readLink(_ path: String) throws(ImagePrepError) -> String {
        do { return String(decoding: try filesystem.readlink(guestPath(path)), as: UTF8.self) } catch {
            throw Self.wrap(error, path)
        }
    }
}
