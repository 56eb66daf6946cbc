import Ext4
import Foundation
import Testing
import _TestSupport

/// `readHead(inode:count:)`: the first bytes of a file by the inode number a listing gave, compared with the
/// files mkfs wrote (inline data included), and refused for what is not a regular file.
@Suite struct ReadHeadTests {
    @Test(arguments: [FilesystemVariant.ext4, FilesystemVariant.all.first { $0.name == "ext4-inline" }!])
    func headsMatchTheFilesByInode(_ variant: FilesystemVariant) throws {
        let fixture = try Ext4Fixture(variant)
        let fs = try fixture.open(writable: false)
        for entry in try fs.list(GuestPath("/etc/ssh")) where entry.kind == .regular {
            let contents = try #require(sampleTree["/etc/ssh/" + entry.name.display])
            #expect(try fs.readHead(inode: entry.inode, count: 4) == Array(contents.utf8.prefix(4)))
            #expect(try fs.readHead(inode: entry.inode, count: 4096) == Array(contents.utf8))
        }
        let directory = try #require(try fs.list(GuestPath("/etc")).first { $0.kind == .directory })
        #expect(throws: Ext4Error.self) { try fs.readHead(inode: directory.inode, count: 16) }
    }
}
