import ArgumentParser
import VHDEditKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `vhdedit edit IMAGE PATH`.
///
/// Three processes: this one (the parent) never opens the image and parses nothing; it makes a private scratch
/// folder, runs a sandboxed child of itself that copies the guest file out into it (`--extract-to`), runs
/// `$EDITOR` on a copy (not sandboxed: the editor is the person's own program), and, when the bytes changed,
/// a sandboxed child that writes them back (`--write-back`) in one commit, as `put` does. The scratch folder is
/// removed on every path, a terminating signal included (``HostScratchFolder``).
struct EditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract: "Edit a guest file with $EDITOR; it is written back only if it changed.",
        discussion: """
            The file is copied to a private temporary folder, $EDITOR (or $VISUAL, else vi) runs on the copy, and \
            the result replaces the guest file (mode and owner kept) only when its bytes differ. A symlink is \
            followed inside the guest and its target edited. A missing file starts empty and is created \
            (0644 root:root) if the editor saves something into it. The guest is read and written by sandboxed \
            child processes; the editor runs outside the sandbox and never sees the image. The image is not \
            locked while the editor runs: if the guest file changed meanwhile, nothing is written. Nothing is \
            written either if the editor fails. The temporary folder is removed in every case.
            Example: EDITOR=nano vhdedit edit disk.vhd /etc/sudoers
            """)

    @OptionGroup var target: ImageOptions
    @OptionGroup var golden: GoldenImageOptions
    @OptionGroup var sandbox: SandboxOptions
    @Argument(help: "The guest file.") var path: String
    @Option(help: .private) var extractTo: String?
    @Option(help: .private) var writeBack: String?
    @Option(help: .private) var original: String?

    func validate() throws {
        if extractTo != nil && writeBack != nil {
            throw ValidationError("--extract-to and --write-back exclude each other")
        }
        if original != nil && writeBack == nil { throw ValidationError("--original goes with --write-back") }
    }

    func run() throws {
        if let extractTo {
            try extract(to: extractTo)
        } else if let writeBack {
            try writeEditedCopyBack(from: writeBack)
        } else {
            try edit()
        }
    }

    // MARK: The parent

    /// Copies out, edits, writes back; parses nothing of the guest itself.
    private func edit() throws {
        try CommandFailure.reportingErrors {
            let typed = try GuestCommand.path(path)  // a typing error is told before anything runs
            let folder = try HostScratchFolder(prefix: "vhdedit-edit")
            let original = folder.file("original")
            try runChild(["--extract-to", original], role: "reading")
            let existed = access(original, F_OK) == 0
            let before = existed ? try HostInputFile(path: original).readToEnd() : []
            // The editor gets a folder of its own (its swap and backup files go there too), and the file's name.
            guard mkdir(folder.file("edit"), 0o700) == 0 else {
                throw BlockIOError(.io, "cannot create a folder", path: folder.file("edit"), errno: errno)
            }
            let copy = folder.file("edit/" + Self.copyName(typed))
            let output = try HostOutputFile(path: copy, mode: 0o600)
            try output.write(before)
            try output.finish()
            try runEditor(on: copy)
            let edited = try HostInputFile(path: copy).readToEnd()
            if edited == before {
                CommandFailure.printError("vhdedit: \(typed): unchanged, nothing written")
                return
            }
            try runChild(["--write-back", copy] + (existed ? ["--original", original] : []), role: "writing")
        }
    }

    /// Runs this program again as a child with the same image, guest path and options plus `extra`; its
    /// messages go straight to standard error. A child that fails ends this command with its status.
    private func runChild(_ extra: [String], role: String) throws {
        var arguments = ["edit"]
        if let partition = target.partition { arguments += ["--partition", String(partition)] }
        if let volume = target.volume { arguments += ["--volume", volume] }
        if golden.force { arguments.append("--force") }
        if sandbox.noSandbox { arguments.append("--no-sandbox") }
        arguments += extra + ["--", target.image, path]
        let outcome = try ChildProcess(program: "/proc/self/exe", arguments: arguments).run(capture: false)
        switch outcome.termination {
        case .exited(0): return
        case .exited(let code): throw ExitCode(code)
        case .signaled(let signal):
            CommandFailure.printError(
                "vhdedit: the process \(role) the guest was killed by signal \(signal); nothing written")
            throw ExitCode.failure
        }
    }

    /// Runs `$EDITOR` (or `$VISUAL`, else `vi`) on `copy` through `/bin/sh`, sharing the terminal; a Ctrl-C goes
    /// to the editor (see `ChildProcess.run(capture:)`).
    private func runEditor(on copy: String) throws {
        let editor = Self.environment("EDITOR") ?? Self.environment("VISUAL") ?? "vi"
        let outcome = try ChildProcess(program: "/bin/sh", arguments: ["-c", "\(editor) \"$1\"", "vhdedit-edit", copy])
            .run(capture: false)
        switch outcome.termination {
        case .exited(0): return
        case .exited(let code):
            CommandFailure.printError("vhdedit: the editor exited with status \(code); nothing written")
            throw ExitCode.failure
        case .signaled(let signal):
            CommandFailure.printError("vhdedit: the editor was killed by signal \(signal); nothing written")
            throw ExitCode.failure
        }
    }

    /// The name the copy gets: the last name of the path as typed (the user's words, not the guest's), with
    /// control characters replaced; `file` when there is none.
    static func copyName(_ path: Ext4.GuestPath) -> String {
        guard let name = path.lastComponent?.utf8String, !name.isEmpty else { return "file" }
        return String(
            name.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f || $0 == "/" ? "_" : Character($0) })
    }

    /// An environment variable, or `nil`.
    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    // MARK: The children

    /// `--extract-to FILE`: opens the image for writing (so that a golden image, a writer holding it or an
    /// unwritable filesystem is refused before anyone edits), enters the sandbox before parsing, and copies the
    /// guest file to `file` (nothing when there is no such guest file). Writes nothing to the image.
    private func extract(to file: String) throws {
        try CommandFailure.reportingErrors {
            GuestSandbox.armForExtracting(to: file)
            let guest = try GuestCommand.open(target, writable: true)
            defer { guest.abandon() }
            let found = try GuestFileEdit.read(try GuestCommand.path(path), in: guest.filesystem)
            guard let contents = found.contents else { return }
            let output = try HostOutputFile(path: file, mode: 0o600)
            try output.write(contents)
            try output.finish()
        }
    }

    /// `--write-back FILE [--original FILE]`: reads the edited copy (and the original) before the image is
    /// opened, then writes the copy to the guest file in one commit, under the writers' sandbox, provided the
    /// guest file is still the original (still missing without `--original`).
    private func writeEditedCopyBack(from editedFile: String) throws {
        let (edited, before) = try CommandFailure.reportingErrors {
            (
                try HostInputFile(path: editedFile).readToEnd(),
                try original.map { try HostInputFile(path: $0).readToEnd() }
            )
        }
        var written: Ext4.GuestPath?
        try GuestCommand.edit(target) { fs in
            written = try GuestFileEdit.writeBack(edited, to: try GuestCommand.path(path), in: fs, expecting: before)
        }
        if let written { CommandFailure.printError("vhdedit: \(written): written (\(edited.count) bytes)") }
    }
}
