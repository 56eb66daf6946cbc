import BlockIO
import Ext4
import Testing
import _TestSupport

/// The bitmaps a writable session reads (extent-tree bitmaps filled only from the groups in use) must be the
/// ones libext2fs and e2fsck see: allocation and freeing across uninitialized, partly used and full groups stay
/// `e2fsck -fn` clean (its pass 5 compares every group's bitmaps and free counts with what the inodes use).
@Suite struct BitmapTests {
    /// 1 KiB blocks: 8 MiB groups, so a 512 MiB filesystem has 64 groups, most of them BLOCK_UNINIT.
    static let manyGroups = FilesystemVariant(name: "ext4-1k-64-groups", fsType: "ext4", options: ["-b", "1024"])

    @Test func allocationsAndFreesAcrossUninitializedGroupsStayClean() throws {
        let fixture = try Ext4Fixture(Self.manyGroups, sizeMiB: 512)
        #expect(try Self.dumpe2fs(fixture.image).contains("BLOCK_UNINIT"), "the fixture must have uninitialized groups")
        let big = (0..<(20 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) }
        let medium = (0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        try fixture.edit { fs in
            try fs.writeFile("/var/big.bin", contents: big)  // spans several groups past the first
            try fs.remove("/etc/ssh/moduli")
        }
        try fixture.expectClean()
        #expect(try fixture.debugfsCat("/var/big.bin") == big)
        // A second session reads the bitmaps of the groups the first one initialized, frees them and allocates.
        try fixture.edit { fs in
            try fs.remove("/var/big.bin")
            try fs.writeFile("/var/medium.bin", contents: medium)
        }
        try fixture.expectClean()
        #expect(try fixture.debugfsCat("/var/medium.bin") == medium)
        let fs = try fixture.open(writable: false)
        #expect(try fs.exists("/var/big.bin") == false)
        let info = fs.info
        let header = try Self.dumpe2fs(fixture.image, headerOnly: true).split(separator: "\n")
        let free = header.first { $0.hasPrefix("Free blocks:") }?.split(separator: " ").last.flatMap { UInt64($0) }
        #expect(free == info.freeBlocks, "free count as dumpe2fs reads it")
    }

    static func dumpe2fs(_ image: String, headerOnly: Bool = false) throws -> String {
        let result = try ExternalTool.check(["dumpe2fs"] + (headerOnly ? ["-h"] : []) + [image])
        return String(decoding: result.stdout, as: UTF8.self)
    }
}
