internal import CSandbox

#if canImport(Glibc)
    import Glibc
#endif

/// A lock-down a process enters once it holds every file it needs and before it parses untrusted bytes (a
/// guest's partition table, filesystem and files), so that a bug in libext2fs, libblkid or our parsers cannot
/// reach the host beyond what is already open (defence in depth: libguestfs puts the guest in a VM instead).
///
/// In order: `PR_SET_NO_NEW_PRIVS`; Landlock (where the kernel has it), handling every filesystem right of its
/// ABI and granting them only beneath ``Policy/allowedFolders``, so no new file outside it can be opened,
/// created, removed or executed; a seccomp filter under which opening files by path (unless
/// ``Policy/opensFiles``), running programs, sockets and tracing fail with `EPERM`, and a call through another
/// ABI (i386 or x32 numbers on x86-64) kills the process. Descriptors already open keep working. There is no way
/// back for the process.
///
/// The filter's BPF program is written in C (CSandbox), not built by libseccomp at run time: the binary does not
/// link libseccomp, so no command pays for loading it at start-up (SandboxTests compares the program's every
/// decision with libseccomp's filter for the same rules).
public enum Sandbox {
    /// What the process still needs after the lock-down.
    public struct Policy: Sendable, Equatable {
        /// The only folders Landlock still allows (every right but running programs, beneath each): a private
        /// scratch folder, the image's folder for the redo log of a command that writes; empty: none.
        public var allowedFolders: [String]
        /// Whether files may still be opened by path (inside ``allowedFolders`` where Landlock is available;
        /// anywhere the process may otherwise, where it is not).
        public var opensFiles: Bool

        /// Nothing to open: reading and writing held descriptors only.
        public static let heldFilesOnly = Policy(allowedFolders: [], opensFiles: false)

        /// A policy allowing `allowedFolders` (and, with `opensFiles`, opening files by path there).
        public init(allowedFolders: [String], opensFiles: Bool) {
            self.allowedFolders = allowedFolders
            self.opensFiles = opensFiles
        }

        /// A policy allowing the one folder `allowedFolder` (`nil`: none).
        public init(allowedFolder: String?, opensFiles: Bool) {
            self.init(allowedFolders: allowedFolder.map { [$0] } ?? [], opensFiles: opensFiles)
        }
    }

    /// What entering the sandbox did.
    public struct Outcome: Sendable, Equatable {
        /// The Landlock ABI used, or `nil` when the kernel has none.
        public var landlockABI: Int?
        /// One line per feature the kernel lacks, for a notice.
        public var notices: [String]
    }

    /// Why the sandbox could not be entered.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The step that failed (`prctl(PR_SET_NO_NEW_PRIVS)`, `Landlock` or `seccomp`).
        public var step: String
        /// The errno it set.
        public var errno: Int32
        /// What failed and that `--no-sandbox` runs the command without the sandbox.
        public var description: String {
            "cannot enter the sandbox: \(step) failed (errno \(errno)); --no-sandbox runs the command without it"
        }
    }

    /// Enters the sandbox with `policy`. Features the kernel lacks (Landlock, seccomp filters) are skipped and
    /// named in the outcome's notices; a feature the kernel has but refuses is an error (`--no-sandbox` then
    /// runs the command without it).
    ///
    /// - Throws: ``Failure`` naming the step.
    public static func enter(_ policy: Policy) throws(Failure) -> Outcome {
        var outcome = Outcome(landlockABI: nil, notices: [])
        var code = csandbox_no_new_privs()
        guard code == 0 else { throw Failure(step: "prctl(PR_SET_NO_NEW_PRIVS)", errno: code) }
        let abi = csandbox_landlock_abi()
        if abi > 0 {
            code = policy.allowedFolders.withCStrings { csandbox_landlock_restrict(abi, $0, Int32($1)) }
            guard code == 0 else { throw Failure(step: "Landlock", errno: code) }
            outcome.landlockABI = Int(abi)
        } else {
            outcome.notices.append(
                "the kernel has no Landlock (\(abi == -38 ? "not built in" : "not enabled at boot; add landlock to lsm=")): "
                    + "the sandbox relies on seccomp alone")
        }
        code = csandbox_seccomp(policy.opensFiles ? 1 : 0)
        if code == 22 || code == 38 {  // EINVAL, ENOSYS: a kernel built without seccomp filters
            outcome.notices.append("the kernel has no seccomp filters: the sandbox relies on Landlock alone")
        } else if code != 0 {
            throw Failure(step: "seccomp", errno: code)
        }
        return outcome
    }
}

extension Array where Element == String {
    /// Calls `body` with the strings as C strings (an array of pointers, valid during the call) and their count.
    fileprivate func withCStrings<T>(_ body: (UnsafePointer<UnsafePointer<CChar>?>, Int) -> T) -> T {
        let copies = map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer($0) } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!, count) }
    }
}
