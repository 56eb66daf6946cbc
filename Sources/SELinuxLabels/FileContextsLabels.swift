internal import CSELinux
import Glibc

/// The labels a guest's SELinux policy gives to paths: libselinux's `selabel_lookup` over the guest's own
/// `file_contexts` files (never the host's policy), the same answers as `matchpathcon -f FILE_CONTEXTS`.
///
/// libselinux reads a policy from host files, so ``init(files:scratchParent:)`` writes the guest's context files
/// into a new private folder (mode 0700, under `$TMPDIR`), opens them with `selabel_open(SELABEL_CTX_FILE)`
/// and deletes the folder at once: the compiled specifications stay in memory. The corresponding C functions
/// are `selabel_open`, `selabel_lookup_raw` and `selabel_close`.
///
/// libselinux is not linked: it is opened with `dlopen` on first use (``loadLibrary()``), so that commands which
/// never label a file do not load it and libpcre2 at start-up.
public final class FileContextsLabels {
    /// The kinds of inode a label is asked for (the file type qualifiers `--`, `-d`, `-l` of file_contexts).
    public enum InodeKind: Sendable {
        case regular, directory, symlink

        var mode: mode_t {
            switch self {
            case .regular: mode_t(S_IFREG)
            case .directory: mode_t(S_IFDIR)
            case .symlink: mode_t(S_IFLNK)
            }
        }
    }

    /// What can go wrong loading a policy.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        /// What failed, with the errno's text.
        public var description: String
    }

    /// The names `selabel_open` reads beside the main file, as they appear in a policy's
    /// `contexts/files/` folder.
    public static let companionSuffixes = [".local", ".homedirs", ".subs", ".subs_dist"]

    private let handle: OpaquePointer

    /// Loads libselinux now (it is otherwise opened by the first ``init(files:scratchParent:)``), for a process
    /// that will not be able to open files later (a sandbox).
    ///
    /// - Throws: ``LoadError`` when the library or one of its functions cannot be found; a later
    ///   ``init(files:scratchParent:)`` fails the same way.
    public static func loadLibrary() throws(LoadError) {
        guard cselinux_available() != 0 else {
            throw LoadError(
                description: "cannot load libselinux (libselinux.so.1, Debian: libselinux1): "
                    + String(cString: cselinux_load_error()))
        }
    }

    /// Opens the specifications in `files`: `file_contexts` (required) and any of `file_contexts.local`,
    /// `.homedirs`, `.subs`, `.subs_dist`, keyed by those names.
    ///
    /// - Parameter scratchParent: the folder to make the private copy in (default `$TMPDIR` or `/tmp`).
    /// - Parameter files: the policy's context files by name: `file_contexts` (required) and any of its companions.
    /// - Throws: ``LoadError`` when the copy cannot be written or libselinux refuses the specifications.
    public init(files: [String: [UInt8]], scratchParent: String? = nil) throws(LoadError) {
        guard let main = files["file_contexts"] else {
            throw LoadError(description: "no file_contexts among the policy's files")
        }
        try Self.loadLibrary()
        var base = scratchParent ?? getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        if base.isEmpty { base = "/tmp" }
        var template = Array((base + "/vhdedit-selinux.XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else {
            throw LoadError(
                description: "cannot create a scratch folder in \(base): \(String(cString: strerror(errno)))")
        }
        let folder = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var written: [String] = []
        defer {
            for path in written { unlink(path) }
            rmdir(folder)
        }
        let wanted =
            [("file_contexts", main)]
            + Self.companionSuffixes.compactMap { suffix in
                files["file_contexts" + suffix].map { ("file_contexts" + suffix, $0) }
            }
        for (name, bytes) in wanted {
            let path = folder + "/" + name
            try Self.write(bytes, to: path)
            written.append(path)
        }
        cselinux_silence_log()
        guard let opened = cselinux_open_file_contexts(folder + "/file_contexts") else {
            throw LoadError(
                description: "libselinux cannot read the file contexts: \(String(cString: strerror(errno)))")
        }
        handle = opened
    }

    deinit { cselinux_selabel_close(handle) }

    /// The label the specifications give an inode of `kind` at `path` (absolute, guest bytes), or nil when no
    /// specification matches or the match says `<<none>>`.
    public func label(for path: [UInt8], kind: InodeKind) -> String? {
        var context: UnsafeMutablePointer<CChar>?
        let found = (path + [0]).withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                cselinux_selabel_lookup_raw(handle, &context, $0.baseAddress, Int32(kind.mode))
            }
        }
        guard found == 0, let context else { return nil }
        defer { cselinux_freecon(context) }
        let label = String(cString: context)
        return label == "<<none>>" ? nil : label
    }

    private static func write(_ bytes: [UInt8], to path: String) throws(LoadError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LoadError(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes { whole in
                Glibc.write(descriptor, whole.baseAddress! + done, whole.count - done)
            }
            if wrote < 0 {
                if errno == EINTR { continue }
                throw LoadError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            done += wrote
        }
    }
}
