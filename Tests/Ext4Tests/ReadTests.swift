import BlockIO
import Ext4
import Foundation
import Testing
import _TestSupport

@Suite struct ReadTests {
    @Test(arguments: FilesystemVariant.all)
    func listingMatchesDebugfs(_ variant: FilesystemVariant) throws {
        let fixture = try Ext4Fixture(variant)
        let fs = try fixture.open(writable: false)
        for dir in ["/etc", "/etc/ssh", "/"] {
            let ours = try fs.list(try GuestPath(dir))
            let theirs = try fixture.debugfsList(dir)
            #expect(Set(ours.map(\.name.display)) == Set(theirs.keys), "\(dir)")
            for entry in ours {
                let other = try #require(theirs[entry.name.display])
                #expect(entry.inode == other.inode)
                #expect(String(entry.status.mode, radix: 8) == other.mode.drop { $0 == "0" }.description)
            }
        }
        #expect(fs.warnings.isEmpty)
        #expect(fs.info.kind.rawValue == (variant.fsType == "ext4" ? "ext4" : variant.fsType))
    }

    @Test(arguments: FilesystemVariant.all)
    func readsFilesLikeDebugfsCat(_ variant: FilesystemVariant) throws {
        let fixture = try Ext4Fixture(variant)
        let fs = try fixture.open(writable: false)
        for (path, contents) in sampleTree {
            let bytes = try fs.readFile(try GuestPath(path))
            #expect(bytes == Array(contents.utf8))
            // debugfs cat prints the whole 60-byte inline area of an inline file; i_size is what counts.
            #expect(bytes[...] == (try fixture.debugfsCat(path)).prefix(bytes.count))
        }
    }

    @Test func statReportsWhatDebugfsReports() throws {
        let fixture = try Ext4Fixture()
        let fs = try fixture.open(writable: false)
        let status = try fs.stat("/etc/hostname")
        let text = try fixture.debugfs("stat /etc/hostname")
        #expect(text.contains("Inode: \(status.inode) "))
        #expect(text.contains("Size: \(status.size)"))
        #expect(status.kind == .regular)
        #expect(status.linkTarget == nil)
        let mtimeHex = "mtime: 0x" + String(format: "%08x", UInt32(status.modificationTime))
        #expect(text.contains(mtimeHex), "\(text)")
        expectExt4Error(.notFound) { _ = try fs.stat("/etc/nothing") }
        expectExt4Error(.notDirectory) { _ = try fs.stat("/etc/hostname/x") }
        expectExt4Error(.isDirectory) { _ = try fs.readFile("/etc") }
    }

    @Test func streamingReadOfALargeSparseFileHasBoundedChunks() throws {
        let fixture = try Ext4Fixture(files: ["/etc/hostname": "x\n"]) { tree in
            try ExternalTool.shell(
                "head -c 300000 /dev/urandom > '\(tree)/big'; truncate -s 20M '\(tree)/big'; "
                    + "printf tail >> '\(tree)/big'")
        }
        let fs = try fixture.open(writable: false)
        var total = 0
        var largest = 0
        var tail: [UInt8] = []
        try fs.readChunks("/big", chunkSize: 65536) { chunk in
            total += chunk.count
            largest = max(largest, chunk.count)
            tail = Array((tail + chunk).suffix(4))
        }
        #expect(total == 20 * 1024 * 1024 + 4)
        #expect(largest <= 65536)
        #expect(tail == Array("tail".utf8))
        expectExt4Error(.tooLarge) { _ = try fs.readFile("/big", limit: 1 << 20) }
        let whole = try fs.readFile("/big")
        #expect(whole == (try fixture.debugfsCat("/big")))
    }

    @Test func readOnlySessionChangesNoByte() throws {
        let fixture = try Ext4Fixture()
        let before = try fixture.sha256()
        do {
            let fs = try fixture.open(writable: false)
            _ = try fs.list(.root, recursive: true)
            _ = try fs.readFile("/etc/passwd")
            expectExt4Error(.readOnly) { try fs.writeFile("/etc/motd", contents: [1]) }
            expectExt4Error(.readOnly) { try fs.remove("/etc/passwd") }
            try fs.close()
        }
        #expect(try fixture.sha256() == before)
    }

    @Test func recursiveListingAndGlob() throws {
        let fixture = try Ext4Fixture()
        let fs = try fixture.open(writable: false)
        let all = try fs.list(.root, recursive: true).map(\.path.description)
        for path in sampleTree.keys { #expect(all.contains(path), "\(path)") }
        let keys = try fs.glob("/etc/ssh/ssh_host_*key*").map(\.description)
        #expect(
            keys == ["/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_rsa_key.pub"])
        #expect(try fs.glob("/*/grub/menu.l?t").map(\.description) == ["/boot/grub/menu.lst"])
        #expect(try fs.glob("/etc/ssh/[m]oduli").map(\.description) == ["/etc/ssh/moduli"])
        #expect(try fs.glob("/etc/ssh/[!s]*").map(\.description) == ["/etc/ssh/moduli"])
        #expect(try fs.glob("/var/lib/dhclient/*.leases").count == 1)
        #expect(try fs.glob("/nothing/*").isEmpty)
        #expect(try fs.glob("/etc/hostname").map(\.description) == ["/etc/hostname"])
    }

    @Test func globPatternRules() {
        func match(_ pattern: String, _ name: String) -> Bool {
            GlobPattern(bytes: Array(pattern.utf8)).matches(Array(name.utf8))
        }
        #expect(match("ssh_host_*key*", "ssh_host_rsa_key.pub"))
        #expect(!match("ssh_host_*key", "ssh_host_rsa_key.pub"))
        #expect(match("*", "a"))
        #expect(!match("*", ".hidden"))
        #expect(match(".*", ".hidden"))
        #expect(match("a?c", "abc"))
        #expect(match("[a-c]x", "bx"))
        #expect(!match("[!a-c]x", "bx"))
        #expect(match("\\*", "*"))
        #expect(!match("\\*", "a"))
        #expect(match("*a*b*c", "xxaybzc"))
    }
}
