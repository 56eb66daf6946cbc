import ArgumentParser
import FoundationEssentials
import Glibc
import VHDEditKit

/// `vhdedit get IMAGE PATH LOCALFILE`.
struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Copy a file out of the image to a host file.",
        discussion: """
            The guest path is resolved inside the guest only; the host file is the one you name (an existing \
            host symlink there is refused, not followed).
            Example: vhdedit get disk.vhd /etc/waagent.conf ./waagent.conf
            """)

    @OptionGroup var target: ImageOptions
    @Argument(help: "The guest file.") var path: String
    @Argument(help: "The host file to write.") var localFile: String

    func run() throws {
        try CommandFailure.reportingErrors {
            let guest = try GuestCommand.open(target, writable: false)
            let guestPath = try GuestCommand.path(path)
            // Resolve the guest file before the host file is created (or truncated): a missing file, a
            // symlink loop or a directory leaves the host side as it was.
            if try guest.filesystem.stat(guestPath).kind != .regular {
                try guest.filesystem.readChunks(guestPath) { _ in }  // throws the typed reason
            }
            let output = try HostOutputFile(path: localFile)
            try guest.filesystem.readChunks(guestPath) { try output.write($0) }
            try output.finish()
        }
    }
}

/// A host file written by `get` and `edit`: created or truncated, never through a symlink.
final class HostOutputFile {
    private let descriptor: Int32
    let path: String

    init(path: String, mode: mode_t = 0o644) throws {
        self.path = path
        descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw HostFileFailure(path: path, errno: errno) }
    }

    func write(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let wrote = bytes[done...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if wrote < 0 {
                if errno == EINTR { continue }
                throw HostFileFailure(path: path, errno: errno)
            }
            done += wrote
        }
    }

    func finish() throws {
        guard fsync(descriptor) == 0 || errno == EINVAL else { throw HostFileFailure(path: path, errno: errno) }
    }

    deinit { Glibc.close(descriptor) }
}

/// A host file that cannot be opened, read or written.
struct HostFileFailure: Error, CustomStringConvertible {
    var path: String
    var errno: Int32
    var description: String { "\(path): \(String(cString: strerror(errno)))" }
}
