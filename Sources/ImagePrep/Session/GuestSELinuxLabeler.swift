public import Ext4
public import GuestConfig
import SELinuxLabels

/// Gives every file, folder and link a write session creates the label the guest's own SELinux policy gives
/// its path, so that an enforcing guest does not find `unlabeled_t` files (sshd refusing `authorized_keys`,
/// NetworkManager an ifcfg file) after vhdedit edited it.
///
/// `load(from:)` reads `/etc/selinux/config` from the guest; only when it says `enforcing` or `permissive`
/// does it read the policy's `contexts/files/file_contexts` (with `.local`, `.homedirs`, `.subs` and
/// `.subs_dist`) and hand them to libselinux (`FileContextsLabels`). Nothing else of the guest is read, and
/// the host's own policy is never used.
public final class GuestSELinuxLabeler: NewInodeLabeling {
    /// The guest's `/etc/selinux/config`.
    public let config: SELinuxConfig
    /// The guest folder the file contexts were read from.
    public let folder: String
    private let labels: FileContextsLabels

    /// The guest file that says whether SELinux is on.
    public static let configPath = "/etc/selinux/config"
    /// The most bytes read of one context file (Fedora's file_contexts is about 1 MiB).
    static let fileLimit = 64 << 20

    private init(config: SELinuxConfig, folder: String, labels: FileContextsLabels) {
        self.config = config
        self.folder = folder
        self.labels = labels
    }

    /// The guest's SELinux configuration, or nil when `/etc/selinux/config` is absent.
    ///
    /// - Parameter filesystem: the guest's root filesystem.
    /// - Throws: ``ImagePrepError`` when the file exists but cannot be read.
    public static func configuration(of filesystem: Ext4FileSystem) throws(ImagePrepError) -> SELinuxConfig? {
        let path = try guestPath(configPath)
        do {
            guard try filesystem.exists(path) else { return nil }
            return SELinuxConfig(String(decoding: try filesystem.readFile(path, limit: 1 << 20), as: UTF8.self))
        } catch {
            throw ImagePrepError(
                .filesystem, "cannot read the SELinux configuration", path: configPath, cause: "\(error)")
        }
    }

    /// The labeler for the guest on `filesystem`, or nil when the guest does not label files (no
    /// `/etc/selinux/config`, or `SELINUX=disabled`).
    ///
    /// - Parameter filesystem: the guest's root filesystem.
    /// - Parameter scratchParent: where the private copy of the context files is made (default `$TMPDIR`).
    /// - Throws: ``ImagePrepError`` when the guest labels files but its policy's file contexts are missing or
    ///   unreadable: writing would leave unlabelled files in an enforcing guest.
    public static func load(
        from filesystem: Ext4FileSystem, scratchParent: String? = nil
    ) throws(ImagePrepError)
        -> GuestSELinuxLabeler?
    {
        guard let config = try configuration(of: filesystem), config.labelsFiles else { return nil }
        guard let folder = config.fileContextsFolder else {
            throw ImagePrepError(
                .unexpectedFile, "SELINUX=\(config.mode?.rawValue ?? "?") but SELINUXTYPE names no policy folder",
                path: configPath)
        }
        var files: [String: [UInt8]] = [:]
        for name in ["file_contexts"] + FileContextsLabels.companionSuffixes.map({ "file_contexts" + $0 }) {
            let path = try guestPath(folder + "/" + name)
            do {
                guard try filesystem.exists(path) else { continue }
                files[name] = try filesystem.readFile(path, limit: fileLimit)
            } catch {
                throw ImagePrepError(
                    .filesystem, "cannot read the SELinux file contexts", path: path.description, cause: "\(error)")
            }
        }
        guard files["file_contexts"] != nil else {
            throw ImagePrepError(
                .notFound,
                "the guest runs SELinux \(config.mode?.rawValue ?? "") with policy '\(config.policyType ?? "")' but has no file_contexts: files vhdedit creates could not be labelled",
                path: folder + "/file_contexts")
        }
        do {
            let labels = try FileContextsLabels(files: files, scratchParent: scratchParent)
            return GuestSELinuxLabeler(config: config, folder: folder, labels: labels)
        } catch {
            throw ImagePrepError(
                .unexpectedFile, "cannot load the guest's SELinux file contexts", path: folder + "/file_contexts",
                cause: error.description)
        }
    }

    /// The label of a new inode of `kind` at `path`, NUL-terminated as the kernel stores it.
    public func securityLabel(forNewInodeAt path: [UInt8], kind: FileKind) -> [UInt8]? {
        label(for: path, kind: kind).map { Array($0.utf8) + [0] }
    }

    /// The label the guest's policy gives an inode of `kind` at `path`, without the NUL.
    public func label(for path: [UInt8], kind: FileKind) -> String? {
        let inodeKind: FileContextsLabels.InodeKind
        switch kind {
        case .directory: inodeKind = .directory
        case .symlink: inodeKind = .symlink
        default: inodeKind = .regular
        }
        return labels.label(for: path, kind: inodeKind)
    }

    /// This labeler for a filesystem mounted at `mountPoint` in the guest (a separate `/var` logical volume):
    /// the paths it is asked about are inside that filesystem, and get `mountPoint` in front.
    public func mounted(at mountPoint: String) -> any NewInodeLabeling {
        MountedLabeler(labeler: self, prefix: Array(mountPoint.utf8))
    }

    private final class MountedLabeler: NewInodeLabeling {
        let labeler: GuestSELinuxLabeler
        let prefix: [UInt8]
        init(labeler: GuestSELinuxLabeler, prefix: [UInt8]) {
            self.labeler = labeler
            self.prefix = prefix.last == UInt8(ascii: "/") ? Array(prefix.dropLast()) : prefix
        }
        func securityLabel(forNewInodeAt path: [UInt8], kind: FileKind) -> [UInt8]? {
            labeler.securityLabel(forNewInodeAt: path == [UInt8(ascii: "/")] ? prefix : prefix + path, kind: kind)
        }
    }

    private static func guestPath(_ text: String) throws(ImagePrepError) -> GuestPath {
        do { return try GuestPath(text) } catch {
            throw ImagePrepError(.invalidArgument, "not a guest path", path: text, cause: "\(error)")
        }
    }
}
