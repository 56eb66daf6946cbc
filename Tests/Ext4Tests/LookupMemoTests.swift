import BlockIO
import Ext4
import Foundation
import Testing
import _TestSupport

/// Directory lookups are remembered between changes (`LookupMemo`): these check that an answer seen before a
/// change is never reused after it, and that more names than the memo holds still resolve correctly.
@Suite struct LookupMemoTests {
    @Test func answersSeenBeforeAChangeAreNotReusedAfterIt() throws {
        let fixture = try Ext4Fixture()
        var fileInode: UInt32 = 0
        try fixture.edit { fs in
            #expect(try fs.exists("/etc/fresh") == false)  // a remembered "no such entry"
            try fs.writeFile("/etc/fresh", contents: Array("one\n".utf8))
            #expect(try fs.readFile("/etc/fresh") == Array("one\n".utf8))
            fileInode = try fs.stat("/etc/fresh").inode
            try fs.remove("/etc/fresh")
            #expect(try fs.exists("/etc/fresh") == false)
            try fs.makeDirectory("/etc/fresh")
            #expect(try fs.stat("/etc/fresh").kind == .directory)
            try fs.writeFile("/etc/fresh/inside", contents: Array("two\n".utf8))
            try fs.rename("/etc/fresh", to: "/moved")
            #expect(try fs.exists("/etc/fresh") == false)
            #expect(try fs.readFile("/moved/inside") == Array("two\n".utf8))
            try fs.makeSymlink("/etc/fresh", target: "/moved")
            #expect(try fs.readFile("/etc/fresh/inside") == Array("two\n".utf8))
            try fs.removeDirectory("/moved", recursive: true)
            #expect(try fs.exists("/etc/fresh") == false, "a dangling symlink is not followed to a removed folder")
            #expect(try fs.exists("/etc/fresh", followSymlinks: false))
        }
        try fixture.expectClean()
        #expect(try fixture.debugfs("stat /etc/fresh").contains("Fast link dest: \"/moved\""))
        #expect(try fixture.debugfsList("/")["moved"] == nil)
        #expect(try fixture.debugfsList("/etc")["fresh"].map { $0.inode } != nil)
        #expect(fileInode != 0)
    }

    @Test func moreNamesThanTheMemoHoldsResolveToTheirOwnInodes() throws {
        let fixture = try Ext4Fixture(sizeMiB: 16)
        let names = (0..<300).map { "file-\($0)" }
        try fixture.edit { fs in
            try fs.makeDirectory("/many")
            for name in names { try fs.writeFile(GuestPath("/many/\(name)"), contents: Array(name.utf8)) }
        }
        try fixture.expectClean()
        let listed = try fixture.debugfsList("/many")
        let fs = try fixture.open(writable: false)
        for round in 0..<2 {
            for name in names.shuffled() {
                let status = try fs.stat(GuestPath("/many/\(name)"))
                #expect(status.inode == listed[name]?.inode, "round \(round): \(name)")
            }
            #expect(try fs.exists("/many/file-300") == false)
        }
        #expect(try fs.readFile("/many/file-123") == Array("file-123".utf8))
    }
}
