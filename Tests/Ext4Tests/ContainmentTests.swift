import BlockIO
import Ext4
import Foundation
import Testing
import _TestSupport

/// Symlinks that would escape to the host under a naive resolver stay inside the guest: nothing on the host is
/// read or written, and guest content is what comes back.
@Suite struct ContainmentTests {
    /// A fixture whose tree holds hostile links (made by mkfs from host symlinks, so not by our writer), and a
    /// canary folder on the host at the absolute paths those links name.
    final class Hostile: @unchecked Sendable {
        let fixture: Ext4Fixture
        let canaryDirectory: TemporaryDirectory
        var canary: String { canaryDirectory.file("canary") }
        let canaryText = "host canary: never read or written through the guest\n"

        init(_ variant: FilesystemVariant = .ext4) throws {
            let canaryDirectory = try TemporaryDirectory(prefix: "ext4-host-canary")
            self.canaryDirectory = canaryDirectory
            try Data("host canary: never read or written through the guest\n".utf8)
                .write(to: URL(fileURLWithPath: canaryDirectory.file("canary")))
            let hostCanary = canaryDirectory.file("canary")
            let hostFolder = canaryDirectory.path
            fixture = try Ext4Fixture(
                variant, files: ["/etc/passwd": "guest passwd\n", "/etc/hostname": "guest\n"]
            ) { tree in
                let links: [(String, String)] = [
                    ("/etc/x", "/../../../etc/passwd"),
                    ("/etc/up", "../../.."),
                    ("/etc/hostlink", hostCanary),
                    ("/etc/hostdir", hostFolder),
                    ("/etc/rel", String(repeating: "../", count: 12) + String(hostCanary.dropFirst())),
                    ("/loop1", "/loop2"), ("/loop2", "loop1"), ("/self", "self"),
                ]
                for (path, target) in links {
                    try FileManager.default.createSymbolicLink(atPath: tree + path, withDestinationPath: target)
                }
                // A chain of 40 links that resolves, and one of 41 that does not.
                try FileManager.default.createDirectory(atPath: tree + "/chain", withIntermediateDirectories: true)
                for index in 0..<41 {
                    let target = index == 0 ? "/etc/hostname" : "l\(index - 1)"
                    try FileManager.default.createSymbolicLink(
                        atPath: tree + "/chain/l\(index)", withDestinationPath: target)
                }
            }
        }

        func hostUnchanged(sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(try String(contentsOfFile: canary, encoding: .utf8) == canaryText, sourceLocation: sourceLocation)
            let names = try FileManager.default.contentsOfDirectory(atPath: canaryDirectory.path)
            #expect(names == ["canary"], "nothing created on the host", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [FilesystemVariant.ext4, FilesystemVariant.all[1], FilesystemVariant.all[5]])
    func readsStayInsideTheGuest(_ variant: FilesystemVariant) throws {
        let hostile = try Hostile(variant)
        let hostPasswd = try FileDigest.sha256("/etc/passwd")
        let fs = try hostile.fixture.open(writable: false)
        let guestPasswd = Array("guest passwd\n".utf8)
        #expect(try fs.readFile("/etc/x") == guestPasswd)
        #expect(try fs.readFile("/etc/up/etc/passwd") == guestPasswd)
        #expect(try fs.readFile("/../../../etc/passwd") == guestPasswd)
        #expect(try fs.readFile("/etc/../../etc/./passwd") == guestPasswd)
        #expect(try fs.stat("/etc/up").inode == 2, "../../.. from /etc stops at the guest root")
        #expect(try fs.realPath("/etc/x").description == "/etc/passwd")
        #expect(try fs.realPath("/etc/up/etc/../etc/hostname").description == "/etc/hostname")
        expectExt4Error(.notFound) { _ = try fs.realPath("/etc/hostlink") }  // the host folder is not in the guest
        expectExt4Error(.notDirectory) { _ = try fs.stat("/etc/passwd/..") }
        expectExt4Error(.notFound) { _ = try fs.readFile("/etc/hostlink") }
        expectExt4Error(.notFound) { _ = try fs.readFile("/etc/rel") }
        expectExt4Error(.notFound) { _ = try fs.readFile(GuestPath("/etc/hostdir/canary")) }
        #expect(try fs.lstat("/etc/hostlink").linkTarget == Array(hostile.canary.utf8), "readlink is verbatim")
        #expect(try fs.exists("/etc/hostlink") == false)
        #expect(try fs.exists("/etc/hostlink", followSymlinks: false))
        #expect(try fs.glob("/etc/hostdir/*").isEmpty)
        // Loops end with an error, 40 hops are allowed and 41 are not.
        expectExt4Error(.symlinkLoop) { _ = try fs.stat("/loop1") }
        expectExt4Error(.symlinkLoop) { _ = try fs.readFile("/self") }
        expectExt4Error(.symlinkLoop) { _ = try fs.list("/loop1/x") }
        #expect(try fs.readFile("/chain/l39") == Array("guest\n".utf8))
        expectExt4Error(.symlinkLoop) { _ = try fs.readFile("/chain/l40") }
        #expect(try fs.lstat("/loop1").kind == .symlink, "lstat does not follow")
        try hostile.hostUnchanged()
        #expect(try FileDigest.sha256("/etc/passwd") == hostPasswd)
    }

    @Test(arguments: [FilesystemVariant.ext4, FilesystemVariant.all[1]])
    func writesStayInsideTheGuest(_ variant: FilesystemVariant) throws {
        let hostile = try Hostile(variant)
        let hostPasswd = try FileDigest.sha256("/etc/passwd")
        try hostile.fixture.edit { fs in
            // Writing onto a link replaces the link, never what it points at.
            try fs.writeFile("/etc/x", contents: Array("replaced link\n".utf8))
            try fs.writeFile("/etc/hostlink", contents: Array("guest file now\n".utf8))
            // Through a link to a host folder: the folder does not exist in the guest.
            expectExt4Error(.notFound) { try fs.writeFile(GuestPath("/etc/hostdir/canary"), contents: [1]) }
            expectExt4Error(.notFound) { try fs.makeDirectory(GuestPath("/etc/hostdir/new")) }
            // Through ../../.. : lands in the guest root.
            try fs.writeFile("/etc/up/escaped", contents: Array("in the guest root\n".utf8))
            try fs.chmod("/etc/up/etc/passwd", mode: 0o600)
            // Deleting a link deletes the link.
            try fs.remove("/etc/rel")
            try fs.remove("/loop1")
            expectExt4Error(.notFound) { try fs.writeFile("/loop2/file", contents: [1]) }  // loop1 is gone
            try fs.chmod("/loop2", mode: 0o700, followSymlinks: false)
            try fs.removeDirectory("/chain", recursive: true)
        }
        try hostile.fixture.expectClean()
        let fixture = hostile.fixture
        #expect(try fixture.debugfsCat("/etc/passwd") == Array("guest passwd\n".utf8))
        #expect(try fixture.debugfsList("/etc")["passwd"]?.mode == "100600")
        #expect(try fixture.debugfsCat("/etc/x") == Array("replaced link\n".utf8))
        #expect(try fixture.debugfsList("/etc")["x"]?.mode == "100644")
        #expect(try fixture.debugfsCat("/etc/hostlink") == Array("guest file now\n".utf8))
        #expect(try fixture.debugfsCat("/escaped") == Array("in the guest root\n".utf8))
        #expect(try fixture.debugfsList("/etc")["rel"] == nil)
        #expect(try fixture.debugfsList("/")["loop1"] == nil)
        #expect(try fixture.debugfsList("/")["loop2"]?.mode == "120700")
        try hostile.hostUnchanged()
        #expect(try FileDigest.sha256("/etc/passwd") == hostPasswd)
    }

    @Test func pathParsing() throws {
        #expect(GuestPath("//etc///./ssh/").description == "/etc/ssh")
        #expect(GuestPath("etc/ssh").description == "/etc/ssh")
        #expect(GuestPath("/a/../..").lexicallyNormalized.isRoot)
        let empty = ""
        expectExt4Error(.invalidPath) { _ = try GuestPath(empty) }
        expectExt4Error(.invalidPath) { _ = try GuestPath(bytes: [0x2F, 0x61, 0x00]) }
        expectExt4Error(.invalidPath) { _ = try GuestPath("/" + String(repeating: "a", count: 256)) }
        expectExt4Error(.invalidPath) { _ = try GuestPath(String(repeating: "/abc", count: 1100)) }
    }
}
