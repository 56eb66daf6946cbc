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

    /// Enters the sandbox now (unless `--no-sandbox`), for a command that opened `image` itself (`nil`: not
    /// through a `DiskImage`) and is about to parse it.
    ///
    /// The libraries opened with `dlopen` that the command may need afterwards are loaded first, while they
    /// can still be opened: `image`'s compressed-cluster decoders and those of `needs` (with no image: every
    /// decoder, as before).
    static func enterBeforeParsing(
        _ policy: Sandbox.Policy = .heldFilesOnly, image: DiskImage? = nil, needs: GuestParsing.LibraryNeeds = []
    ) throws {
        guard !isDisabled else { return }
        GuestParsing.loadLibraries(for: image, needs)
        let outcome = try Sandbox.enter(policy)
        for notice in outcome.notices { CommandFailure.printError("vhdedit: note: \(notice)") }
    }

    /// Enters the sandbox at the next guest open, before its first byte is parsed (unless `--no-sandbox`).
    /// The commands that call it only read held descriptors after that point and print to standard output.
    ///
    /// - Parameter decodesInitramfs: whether the command may decode an initramfs image (`check`, `inspect`):
    ///   zlib, liblzma and libzstd are then loaded before the lock-down. `cat`, `ls` and `stat` pass `false`
    ///   and load only the decoders a compressed qcow2 image needs.
    static func armForReading(decodesInitramfs: Bool = true) {
        guard !isDisabled else { return }
        GuestParsing.beforeNextParse { image in
            try enterBeforeParsing(image: image, needs: decodesInitramfs ? .initramfs : [])
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
            let folder = HostRedoLogLocation(imagePath: image.path).folder
            // Initramfs images (azure-prepare's rootdelay) and the labels of new files on an SELinux guest.
            try enterBeforeParsing(
                Sandbox.Policy(allowedFolder: folder, opensFiles: true), image: image, needs: [.initramfs, .labels])
        }
    }

    /// Enters the sandbox at the next guest open, for a command that reads the guest and then writes the host
    /// file `hostFile` (`get`): files may be opened in that file's folder only.
    static func armForCopyingOut(to hostFile: String) {
        guard !isDisabled else { return }
        let folder = ImageBatchOptions.folder(of: hostFile)
        GuestParsing.beforeNextParse { image in
            try enterBeforeParsing(
                Sandbox.Policy(allowedFolder: folder.isEmpty ? "." : folder, opensFiles: true), image: image)
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
                Sandbox.Policy(allowedFolders: [scratch.isEmpty ? "." : scratch, folder], opensFiles: true),
                image: image, needs: [.initramfs, .labels])
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
