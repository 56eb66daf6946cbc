import ArgumentParser
import Sandbox
import Synchronization
import VHDEditKit

/// The sandbox policy of the commands that parse a guest: what each still needs once the image is open, and
/// the `--no-sandbox` opt-out. The lock-down itself is ``Sandbox``; when it happens is ``GuestParsing``.
enum GuestSandbox {
    private static let disabled = Mutex(false)

    /// Whether `--no-sandbox` was given.
    static var isDisabled: Bool { disabled.withLock { $0 } }

    static func disable(_ value: Bool) { disabled.withLock { $0 = value } }

    /// Enters the sandbox now (unless `--no-sandbox`), for a command that opened the image itself and is about
    /// to parse it.
    static func enterBeforeParsing(_ policy: Sandbox.Policy = .heldFilesOnly) throws {
        guard !isDisabled else { return }
        // The dlopen'ed decoders may be needed after the lock-down (initramfs images, compressed qcow2
        // clusters): load them while the libraries can still be opened.
        GuestParsing.loadLibraries()
        let outcome = try Sandbox.enter(policy)
        for notice in outcome.notices { CommandFailure.printError("vhdedit: note: \(notice)") }
    }

    /// Enters the sandbox at the next guest open, before its first byte is parsed (unless `--no-sandbox`).
    /// The commands that call it only read held descriptors after that point and print to standard output.
    static func armForReading() {
        guard !isDisabled else { return }
        GuestParsing.beforeNextParse { _ in
            GuestParsing.loadLibraries()  // check decodes initramfs images: zlib, liblzma, libzstd
            try enterBeforeParsing()
        }
    }
}

extension GuestSandbox {
    /// Enters the sandbox at the next guest open, for a command that writes the image: as for reading, except
    /// that files may still be opened, by path, in the image's folder only (Landlock), where the commit creates,
    /// syncs and deletes the redo log beside the image. Without Landlock that leaves opening unrestricted;
    /// programs, sockets and tracing stay refused either way.
    static func armForWriting() {
        guard !isDisabled else { return }
        GuestParsing.beforeNextParse { image in
            GuestParsing.loadLibraries()
            let folder = HostRedoLogLocation(imagePath: image.path).folder
            try enterBeforeParsing(Sandbox.Policy(allowedFolder: folder, opensFiles: true))
        }
    }

    /// Enters the sandbox at the next guest open, for a command that reads the guest and then writes the host
    /// file `hostFile` (`get`): files may be opened in that file's folder only.
    static func armForCopyingOut(to hostFile: String) {
        guard !isDisabled else { return }
        let folder = ImageBatchOptions.folder(of: hostFile)
        GuestParsing.beforeNextParse { _ in
            try enterBeforeParsing(Sandbox.Policy(allowedFolder: folder.isEmpty ? "." : folder, opensFiles: true))
        }
    }
}

extension GuestSandbox {
    /// Enters the sandbox at the next guest open, for `edit`'s child that opens the image for writing but only
    /// copies a guest file out to `hostFile` in the private scratch folder: files may be opened in that folder
    /// and in the image's (where a writable open of an SELinux guest puts its private copy of the policy).
    static func armForExtracting(to hostFile: String) {
        guard !isDisabled else { return }
        let scratch = ImageBatchOptions.folder(of: hostFile)
        GuestParsing.beforeNextParse { image in
            let folder = HostRedoLogLocation(imagePath: image.path).folder
            try enterBeforeParsing(
                Sandbox.Policy(allowedFolders: [scratch.isEmpty ? "." : scratch, folder], opensFiles: true))
        }
    }
}

/// `--no-sandbox` of the commands that parse a guest.
struct SandboxOptions: ParsableArguments {
    @Flag(
        help: ArgumentHelp(
            "Do not lock the process down before parsing the guest.",
            discussion: """
                By default, once the image is open and before the guest is parsed, vhdedit sets no-new-privs, \
                restricts itself with Landlock and installs a seccomp filter: no file can be opened, no program \
                run and no socket made afterwards.
                """))
    var noSandbox = false

    func validate() throws { GuestSandbox.disable(noSandbox) }
}
