import Foundation
import Sandbox
import Testing
import _TestSupport

/// A child process enters the sandbox, then tries what an exploited parser would: open a file, create one,
/// run a program, make a socket, connect one made before. Each must fail with EPERM, while the descriptors it
/// held before stay usable.
@Suite struct SandboxTests {
    /// Bits of the child's exit status, one per thing that was not refused as it should be.
    enum Escape: Int32, CaseIterable {
        case enterFailed = 1, openedExisting = 2, createdFile = 4, ranProgram = 8, madeSocket = 16, connected = 32,
            heldDescriptorLost = 64
    }

    @Test func aSandboxedChildCannotOpenExecOrConnect() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-sandbox")
        let existing = dir.file("existing")
        try Data("held\n".utf8).write(to: URL(fileURLWithPath: existing))
        let created = dir.file("created")
        let held = open(existing, O_RDONLY | O_CLOEXEC)
        try #require(held >= 0)
        defer { close(held) }
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        defer { close(listener) }
        let client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(client >= 0)
        defer { close(client) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let socketPath = dir.file("s")
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in socketPath.utf8.enumerated() { raw[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.size)
        try #require(
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
            } == 0)
        try #require(listen(listener, 1) == 0)
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]

        let pid = fork()
        if pid == 0 {
            var escapes: Int32 = 0
            if (try? Sandbox.enter(.heldFilesOnly)) == nil { _exit(Escape.enterFailed.rawValue) }
            if open(existing, O_RDONLY) >= 0 || errno != EPERM { escapes |= Escape.openedExisting.rawValue }
            if open(created, O_CREAT | O_WRONLY, 0o600) >= 0 || errno != EPERM {
                escapes |= Escape.createdFile.rawValue
            }
            if execv("/bin/true", &argv) == 0 || errno != EPERM { escapes |= Escape.ranProgram.rawValue }
            if socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) >= 0 || errno != EPERM {
                escapes |= Escape.madeSocket.rawValue
            }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) }
            }
            if connected == 0 || errno != EPERM { escapes |= Escape.connected.rawValue }
            var byte: UInt8 = 0
            if pread(held, &byte, 1, 0) != 1 || byte != UInt8(ascii: "h") {
                escapes |= Escape.heldDescriptorLost.rawValue
            }
            _exit(escapes)
        }
        try #require(pid > 0)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let exited = (status & 0x7F) == 0
        let code = (status >> 8) & 0xFF
        #expect(exited, "the child was killed (signal \(status & 0x7F)), not refused")
        let escaped = Escape.allCases.filter { code & $0.rawValue != 0 }
        #expect(escaped.isEmpty, "not refused with EPERM in the sandbox: \(escaped)")
        #expect(!FileManager.default.fileExists(atPath: created))
    }

    /// A writer's policy: files may still be opened, but only beneath the allowed folder (Landlock); programs
    /// stay refused.
    @Test func aWritersSandboxOpensOnlyInItsFolder() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-sandbox")
        let outside = try TemporaryDirectory(prefix: "vhdedit-sandbox-outside")
        let secret = outside.file("secret")
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: secret))
        let inside = dir.file("image.vhdedit-journal")
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        let pid = fork()
        if pid == 0 {
            var escapes: Int32 = 0
            guard let outcome = try? Sandbox.enter(Sandbox.Policy(allowedFolder: dir.path, opensFiles: true)) else {
                _exit(1)
            }
            if outcome.landlockABI != nil, open(secret, O_RDONLY) >= 0 || errno != EACCES { escapes |= 2 }
            let fd = open(inside, O_CREAT | O_RDWR | O_EXCL, 0o600)
            if fd < 0 || unlink(inside) != 0 { escapes |= 4 }
            if execv("/bin/true", &argv) == 0 || errno != EPERM { escapes |= 8 }
            _exit(escapes)
        }
        try #require(pid > 0)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(
            status & 0x7F == 0 && (status >> 8) & 0xFF == 0,
            "exit \((status >> 8) & 0xFF): 1 enter, 2 opened outside, 4 could not create/remove inside, 8 ran a program"
        )
    }

    /// Two allowed folders (`edit`'s child: its scratch folder and the image's): files may be created in each,
    /// and still in neither of the others.
    @Test func twoAllowedFoldersOpenInBothAndNowhereElse() throws {
        let first = try TemporaryDirectory(prefix: "vhdedit-sandbox-first")
        let second = try TemporaryDirectory(prefix: "vhdedit-sandbox-second")
        let outside = try TemporaryDirectory(prefix: "vhdedit-sandbox-outside")
        let pid = fork()
        if pid == 0 {
            var escapes: Int32 = 0
            let policy = Sandbox.Policy(allowedFolders: [first.path, second.path], opensFiles: true)
            guard let outcome = try? Sandbox.enter(policy) else { _exit(1) }
            for (bit, folder) in [(Int32(2), first), (4, second)] {
                let fd = open(folder.file("made"), O_CREAT | O_RDWR | O_EXCL, 0o600)
                if fd < 0 { escapes |= bit } else { close(fd) }
            }
            if outcome.landlockABI != nil,
                open(outside.file("made"), O_CREAT | O_RDWR | O_EXCL, 0o600) >= 0 || errno != EACCES
            {
                escapes |= 8
            }
            _exit(escapes)
        }
        try #require(pid > 0)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(
            status & 0x7F == 0 && (status >> 8) & 0xFF == 0,
            "exit \((status >> 8) & 0xFF): 1 enter, 2/4 could not create in the first/second folder, 8 created outside")
        #expect(
            FileManager.default.fileExists(atPath: first.file("made"))
                && FileManager.default.fileExists(atPath: second.file("made")))
        #expect(!FileManager.default.fileExists(atPath: outside.file("made")))
    }
}
