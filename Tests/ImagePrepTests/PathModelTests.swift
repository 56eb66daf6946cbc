import Foundation
import Testing
import VHDEditKit
import _TestSupport

@testable import ImagePrep

#if canImport(Glibc)
    import Glibc
#endif

/// A view that answers `resolve` and `glob` with the protocol's defaults (an `lstat` of every prefix, a
/// listing per component), over another view's files.
final class DefaultWalk: GuestFiles {
    let base: any GuestFiles
    init(_ base: any GuestFiles) { self.base = base }
    func lstat(_ path: String) throws(ImagePrepError) -> GuestFileInfo? { try base.lstat(path) }
    func readFile(_ path: String, limit: Int) throws(ImagePrepError) -> [UInt8] {
        try base.readFile(path, limit: limit)
    }
    func readPrefix(_ path: String, count: Int) throws(ImagePrepError) -> [UInt8] {
        try base.readPrefix(path, count: count)
    }
    func writeFile(_ path: String, contents: [UInt8], newFileMode: UInt16) throws(ImagePrepError) {
        try base.writeFile(path, contents: contents, newFileMode: newFileMode)
    }
    func removeFile(_ path: String) throws(ImagePrepError) { try base.removeFile(path) }
    func removeTree(_ path: String) throws(ImagePrepError) { try base.removeTree(path) }
    func listDirectory(_ path: String) throws(ImagePrepError) -> [String] { try base.listDirectory(path) }
    func readLink(_ path: String) throws(ImagePrepError) -> String { try base.readLink(path) }
}

/// One path model: the ext4 view resolves and globs through the filesystem's own walker and matcher, and gives
/// the same answers as the protocol's default walk (what staged and in-memory views use) on an image mke2fs
/// built with symlinks of every kind; the one matcher agrees with glibc's fnmatch(3).
@Suite struct PathModelTests {
    @Test func ext4ViewAnswersAsTheDefaultWalk() throws {
        let dir = try TemporaryDirectory()
        let tree = dir.file("tree")
        try Fixtures.writeTree(
            [
                "/etc/a": "a\n", "/etc/.hidden": "h\n", "/etc/ssh/ssh_host_rsa_key": "k\n",
                "/etc/ssh/ssh_host_rsa_key.pub": "p\n", "/etc/ssh/ssh_host_ed25519_key": "k\n",
                "/etc/ssh/sshd_config": "x\n", "/etc/[x]": "literal bracket\n",
            ], under: tree)
        for (link, target) in [
            ("/etc/link-abs", "/etc/a"), ("/etc/link-rel", "a"), ("/etc/up", "../../../../etc/a"),
            ("/etc/dangling", "/nope"), ("/etc/loop1", "loop2"), ("/etc/loop2", "loop1"), ("/dirlink", "/etc"),
            ("/etc/ssh/back", ".."), ("/etc/chain", "link-abs"),
        ] {
            try FileManager.default.createSymbolicLink(atPath: tree + link, withDestinationPath: target)
        }
        let image = dir.file("fs.img")
        try Fixtures.makeFilesystem(at: image, sizeMiB: 8, tree: tree)

        do {
            let guest = try GuestImage.open(path: image)
            let ext4 = Ext4GuestFiles(filesystem: guest.filesystem)
            let walk = DefaultWalk(ext4)
            for path in [
                "/", "/etc", "/etc/a", "/etc/./a", "/etc/link-abs", "/etc/link-rel", "/etc/up", "/etc/chain",
                "/etc/dangling", "/etc/loop1", "/dirlink", "/dirlink/a", "/dirlink/../etc/a", "/dirlink/ssh/back/a",
                "/etc/a/x", "/nope", "/nope/x", "/../../etc/a", "/etc/[x]",
            ] {
                #expect(try ext4.resolve(path) == walk.resolve(path), "resolve \(path)")
            }
            #expect(try ext4.resolve("/dirlink/ssh/back/chain") == "/etc/a")
            #expect(try ext4.resolve("/etc/loop1") == nil)
            for pattern in [
                "/etc/*", "/dirlink/*", "/etc/ssh/ssh_host_*key*", "/etc/.*", "/etc/[a-l]*", "/*/ssh/*.pub",
                "/etc/link-?el", "/nothing/*", "/etc/[!a]*", "/dirlink/ssh/back/a", "/etc/dangling", "/*",
            ] {
                #expect(try ext4.glob(pattern) == walk.glob(pattern), "glob \(pattern)")
            }
            #expect(
                try ext4.glob("/etc/ssh/ssh_host_*key") == [
                    "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key",
                ])
        }
    }

    /// `PathText.matches` (the staged and in-memory views' matcher, Ext4's `GlobPattern`) against glibc's
    /// `fnmatch(pattern, name, FNM_PERIOD)`. (Names with a backslash are left out: in a view's display form a
    /// backslash starts an escape.)
    @Test func theMatcherAgreesWithFnmatch() {
        let names = [
            "a", "abc", ".hidden", "ifcfg-eth0", "ifcfg-lo", "ssh_host_rsa_key.pub", "[x]", "x]", "-", "a-b", "é",
            "ü.conf",
            "", "*", "?",
        ]
        let patterns = [
            "*", "?", "a*", "*c", "a?c", "[a-c]*", "[!a]*", "[^a]*", "[]x]*", "[x]", "\\[x]", "ifcfg-*", "*.pub",
            ".*", "*key*", "[-a]", "a[-]b", "?.conf", "\\*", "[", "[a", "**", "*[",
        ]
        for name in names where !name.isEmpty {
            for pattern in patterns {
                let expected = fnmatch(pattern, name, FNM_PERIOD) == 0
                #expect(PathText.matches(name, pattern: pattern) == expected, "'\(name)' against '\(pattern)'")
            }
        }
    }
}
