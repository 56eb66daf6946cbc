import ArgumentParser
import VHDEditKit

/// `vhdedit ls IMAGE PATH [-l] [-R] [--json]`.
struct LsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List a directory inside the image's filesystem.",
        discussion: """
            Paths are resolved inside the guest (absolute symlinks against the guest root, '..' stops at the \
            root). Names that are not printable UTF-8 are shown escaped (\\n, \\t, \\\\, \\xff); give them back \
            the same way.

            Examples:
              vhdedit ls disk.vhd /etc/ssh -l
              vhdedit ls disk.vhd / -R --json --partition 2
            """)

    @OptionGroup var target: ImageOptions
    @OptionGroup var sandbox: SandboxOptions
    @Argument(help: "The guest directory (or file).") var path: String = "/"
    @Flag(name: .customShort("l"), help: "Long format: mode, links, owner, size, modification time.") var long = false
    @Flag(name: .customShort("R"), help: "List subdirectories recursively (symlinks are not entered).")
    var recursive = false
    @Flag(
        name: [.customLong("context"), .customShort("Z")],
        help: "Show each entry's SELinux label (security.selinux), '?' when it has none, as ls -Z does.")
    var context = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try CommandFailure.reportingErrors {
            GuestSandbox.armForReading(decodesInitramfs: false)
            let guest = try GuestCommand.open(target, writable: false)
            let fs = guest.filesystem
            let guestPath = try GuestCommand.path(path)
            let top = try fs.lstat(guestPath)
            var followed: FileStatus? = top
            if top.kind == .symlink {
                // A link that cannot be followed (dangling, a loop) is listed itself, with a warning.
                do { followed = try fs.stat(guestPath) } catch {
                    followed = nil
                    CommandFailure.printError("vhdedit: warning: \(error); listing the link itself")
                }
            }
            let entries: [DirectoryEntry]
            if followed?.kind == .directory {
                entries = try fs.list(guestPath, recursive: recursive)
            } else {
                let name = guestPath.lastComponent ?? GuestName("/")
                entries = [DirectoryEntry(name: name, path: guestPath, inode: top.inode, kind: top.kind, status: top)]
            }
            let labels = context ? try entries.map { try fs.securityLabel($0.path) } : []
            if json {
                try JSONOutput.print(
                    [
                        "entries": entries.indices.map { index in
                            var object = GuestCommand.json(
                                entries[index].status, path: entries[index].path, name: entries[index].name)
                            if context { object["selinuxLabel"] = labels[index].map(JSONValue.string) ?? .null }
                            return object
                        }
                    ],
                    schema: .ls)
                return
            }
            for (index, entry) in entries.enumerated() {
                var shown = recursive ? entry.path.description : entry.name.display
                if context { shown = (labels[index] ?? "?") + " " + shown }
                guard long else { print(shown); continue }
                let s = entry.status
                var line = "\(s.modeString) \(s.linkCount) \(s.uid) \(s.gid) \(s.size) "
                line += "\(GuestCommand.time(s.modificationTime)) \(shown)"
                if let target = s.linkTargetDisplay { line += " -> \(target)" }
                print(line)
            }
        }
    }
}
