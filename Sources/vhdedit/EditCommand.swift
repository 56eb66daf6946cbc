import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VHDEditKit

/// `vhdedit edit IMAGE PATH`.
struct EditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract: "Edit a guest file with $EDITOR; it is written back only if it changed.",
        discussion: """
            The file is copied to a private temporary folder, $EDITOR (or $VISUAL, else vi) runs on the copy, and \
            the result replaces the guest file (mode and owner kept) only when its bytes differ. A symlink is \
            followed inside the guest and its target edited. A missing file starts empty and is created \
            (0644 root:root) if the editor saves something into it. The image stays locked while the editor \
            runs; nothing is written if it fails.
            Example: EDITOR=nano vhdedit edit disk.vhd /etc/sudoers
            """)

    @OptionGroup var target: ImageOptions
    @OptionGroup var golden: GoldenImageOptions
    @Argument(help: "The guest file.") var path: String

    func run() throws {
        try CommandFailure.reportingErrors {
            let guest = try GuestCommand.open(target, writable: true)
            let fs = guest.filesystem
            // Edit what a symlink points to (inside the guest), not replace the link.
            let guestPath = try fs.realPath(try GuestCommand.path(path))
            let original = try fs.exists(guestPath) ? try fs.readFile(guestPath) : []
            let folder = try HostScratchFolder.create(prefix: "vhdedit-edit")
            let name = guestPath.lastComponent?.utf8String.map { String($0.map { $0 == "/" ? "_" : $0 }) } ?? "file"
            let copy = folder + "/" + name
            defer {
                unlink(copy)
                rmdir(folder)
            }
            // A signal that ends this command removes the copy too (Ctrl-C goes to the editor: see run(capture:)).
            let guardCopy = SignalRemovalGuard(path: copy)
            defer { withExtendedLifetime(guardCopy) {} }
            let output = try HostOutputFile(path: copy, mode: 0o600)
            try output.write(original)
            try output.finish()
            let editor = Self.environment("EDITOR") ?? Self.environment("VISUAL") ?? "vi"
            let outcome = try ChildProcess(program: "/bin/sh", arguments: ["-c", "\(editor) \"$1\"", "vhdedit-edit", copy])
                .run(capture: false)
            switch outcome.termination {
            case .exited(0): break
            case .exited(let code):
                CommandFailure.printError("vhdedit: the editor exited with status \(code); nothing written")
                throw ExitCode.failure
            case .signaled(let signal):
                CommandFailure.printError("vhdedit: the editor was killed by signal \(signal); nothing written")
                throw ExitCode.failure
            }
            let edited = try HostInputFile(path: copy).readToEnd()
            if edited == original {
                CommandFailure.printError("vhdedit: \(guestPath): unchanged, nothing written")
                return
            }
            try fs.writeFile(guestPath, contents: edited)
            try guest.close()
            CommandFailure.printError("vhdedit: \(guestPath): written (\(edited.count) bytes)")
        }
    }

    /// An environment variable, or `nil`.
    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
