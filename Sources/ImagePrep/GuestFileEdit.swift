public import Ext4

/// One guest file edited outside the image (`vhdedit edit`): read it out in one session, write the edited
/// bytes back in a later one, and only if the file is still what was read out. Between the two sessions the
/// image is not locked (a person edits the copy meanwhile), so another writer may have changed the file; the
/// write-back then refuses rather than lose that change.
public enum GuestFileEdit {
    /// The file a typed path names: symbolic links are followed inside the guest (the target is edited, the
    /// link kept).
    public struct Original: Equatable, Sendable {
        /// The resolved guest path.
        public var path: GuestPath
        /// The file's bytes, or `nil` when there is no file there (the edit then creates it).
        public var contents: [UInt8]?
    }

    /// Reads the file `path` names in `filesystem`.
    ///
    /// - Throws: `Ext4Error` when the path cannot be resolved (a loop, a component that is not a folder) or
    ///   names something that is not a regular file.
    public static func read(_ path: GuestPath, in filesystem: Ext4FileSystem) throws(Ext4Error) -> Original {
        let resolved = try filesystem.realPath(path)
        guard try filesystem.exists(resolved) else { return Original(path: resolved, contents: nil) }
        return Original(path: resolved, contents: try filesystem.readFile(resolved))
    }

    /// Writes `edited` to the file `path` names (a new file gets mode 0644, root:root; an existing one keeps
    /// its mode and owner), provided the file is still `original` (`nil`: there is still no file). The caller
    /// commits the session.
    ///
    /// - Returns: the resolved guest path written.
    /// - Throws: ``ImagePrepError/Code/changed`` (nothing written) when the file is no longer `original`;
    ///   ``ImagePrepError/Code/filesystem`` with the `Ext4Error` when reading or writing fails.
    public static func writeBack(
        _ edited: [UInt8], to path: GuestPath, in filesystem: Ext4FileSystem, expecting original: [UInt8]?
    ) throws(ImagePrepError) -> GuestPath {
        let now: Original
        do {
            now = try read(path, in: filesystem)
        } catch {
            throw ImagePrepError(
                .filesystem, "cannot read the file again to write it back", path: "\(path)", cause: error)
        }
        guard now.contents == original else {
            throw ImagePrepError(
                .changed,
                original == nil
                    ? "was created in the image while it was being edited; nothing written"
                    : now.contents == nil
                        ? "was removed from the image while it was being edited; nothing written"
                        : "changed in the image while it was being edited; nothing written",
                path: "\(now.path)")
        }
        do {
            try filesystem.writeFile(now.path, contents: edited)
        } catch {
            throw ImagePrepError(.filesystem, "cannot write the edited file", path: "\(now.path)", cause: error)
        }
        return now.path
    }
}
