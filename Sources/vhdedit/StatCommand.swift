import ArgumentParser
import VHDEditKit

/// `vhdedit stat IMAGE PATH [--json]`.
struct StatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stat",
        abstract: "Show type, mode, owner, size, times, inode and link target of a guest path.",
        discussion: """
            The last component is not followed (like lstat): a symlink is described itself, with its target; \
            add --follow to describe what it points to.
            Example: vhdedit stat disk.vhd /etc/resolv.conf --json
            """)

    @OptionGroup var target: ImageOptions
    @OptionGroup var sandbox: SandboxOptions
    @Argument(help: "The guest path.") var path: String
    @Flag(help: "Follow a symlink in the last component.") var follow = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try CommandFailure.reportingErrors {
            GuestSandbox.armForReading(decodesInitramfs: false)
            let guest = try GuestCommand.open(target, writable: false)
            let guestPath = try GuestCommand.path(path)
            let s = follow ? try guest.filesystem.stat(guestPath) : try guest.filesystem.lstat(guestPath)
            let shown = follow ? try guest.filesystem.realPath(guestPath) : guestPath
            let label = try guest.filesystem.securityLabel(shown)
            if json {
                var object = GuestCommand.json(s, path: guestPath, name: nil)
                object["selinuxLabel"] = label.map(JSONValue.string) ?? .null
                try JSONOutput.print(object, schema: .stat)
                return
            }
            print("path: \(guestPath)")
            print("type: \(s.kind.rawValue)")
            print("mode: \(String(s.permissions, radix: 8)) (\(s.modeString))")
            print("owner: \(s.uid):\(s.gid)")
            print("size: \(s.size)")
            print("inode: \(s.inode)")
            print("links: \(s.linkCount)")
            print("access: \(GuestCommand.time(s.accessTime))")
            print("modify: \(GuestCommand.time(s.modificationTime))")
            print("change: \(GuestCommand.time(s.changeTime))")
            if let target = s.linkTargetDisplay { print("target: \(target)") }
            if let label { print("selinux: \(label)") }
        }
    }
}
