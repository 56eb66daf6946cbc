import Ext4
import Foundation
import Testing
import _TestSupport

/// `scanFileHeads(under:limits:progress:_:)`: every regular file's head, read in shared runs, equals the bytes
/// of the file mkfs -d copied into the image, on extent, block-map (ext2, also without dirent file types),
/// 1 KiB-block and inline-data filesystems; sparse, empty, too small and too large files are handled; the limits
/// stop the walk.
@Suite struct HeadScanTests {
    /// 640 files (more than one batch) in nested folders, sizes 0 to ~9 KiB, plus a sparse file, a big file and
    /// links; returns the host tree's regular files by guest path.
    static func makeTree(_ root: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for index in 0..<640 {
            let size = (index * 37) % 9000
            let path = "/data/u\(index % 5)/d\(index % 7)/f\(index).txt"
            files[path] = (0..<size).map { UInt8(truncatingIfNeeded: ($0 * 7 + index) % 251) }
        }
        files["/data/big.bin"] = [UInt8](repeating: 0x41, count: 3 << 20)
        for (path, bytes) in files {
            try FileManager.default.createDirectory(
                atPath: root + PathText(path).parent, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: root + path))
        }
        // A file whose first 64 KiB are a hole (mkfs -d keeps holes), then text.
        let sparse = root + "/data/sparse.bin"
        _ = FileManager.default.createFile(atPath: sparse, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: sparse))
        try handle.seek(toOffset: 65536)
        try handle.write(contentsOf: Data("-----BEGIN OPENSSH PRIVATE KEY-----\n".utf8))
        try handle.close()
        files["/data/sparse.bin"] =
            [UInt8](repeating: 0, count: 65536) + Array("-----BEGIN OPENSSH PRIVATE KEY-----\n".utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/data/u0/link", withDestinationPath: "/etc/passwd")
        return files
    }

    struct PathText {
        var path: String
        init(_ path: String) { self.path = path }
        var parent: String { String(path[..<path.lastIndex(of: "/")!]) }
    }

    static let variants: [FilesystemVariant] = [
        .ext4,
        FilesystemVariant(name: "ext2", fsType: "ext2", options: []),
        FilesystemVariant(name: "ext2-nofiletype", fsType: "ext2", options: ["-O", "^filetype"]),
        FilesystemVariant(name: "ext4-1k", fsType: "ext4", options: ["-b", "1024"]),
        FilesystemVariant(name: "ext4-inline", fsType: "ext4", options: ["-O", "inline_data"]),
    ]

    static func limits(_ headBytes: Int = 4096, maxEntries: Int = 1_000_000, maxBytes: Int = 1 << 30) -> HeadScanLimits
    {
        HeadScanLimits(
            headBytes: headBytes, smallestFile: 64, largestFile: 1 << 20, maxEntries: maxEntries, maxBytes: maxBytes,
            deadline: .now + .seconds(600))
    }

    @Test(arguments: variants) func headsEqualTheFilesMkfsCopied(_ variant: FilesystemVariant) throws {
        var source: [String: [UInt8]] = [:]
        let fixture = try Ext4Fixture(variant, sizeMiB: 48, files: [:]) { tree in source = try Self.makeTree(tree) }
        let fs = try fixture.open(writable: false)
        var progress = HeadScanProgress()
        var seen: [String: [UInt8]] = [:]
        try fs.scanFileHeads(under: "/data", limits: Self.limits(), progress: &progress) { file in
            #expect(seen[file.path.description] == nil, "visited twice: \(file.path)")
            seen[file.path.description] = file.head
        }
        let expected = source.filter { $0.value.count >= 64 && $0.value.count <= 1 << 20 }.mapValues {
            Array($0.prefix(4096))
        }
        #expect(seen.count == expected.count)
        for (path, head) in expected { #expect(seen[path] == head, "\(path)") }
        #expect(progress.filesRead == expected.count && progress.skippedLarge == 1 && progress.stop == nil)
        // Every directory entry under /data counted: as many as find lists in the tree mkfs copied.
        let listed = try ExternalTool.check(["find", fixture.directory.file("tree") + "/data", "-mindepth", "1"]).output
        #expect(progress.entries == listed.split(separator: "\n").count)
        #expect(progress.bytesRead == expected.values.reduce(0) { $0 + $1.count })
        #expect(progress.deviceBytesRead >= progress.bytesRead && progress.deviceReads < progress.filesRead / 4)
    }

    @Test func limitsStopTheWalk() throws {
        var source: [String: [UInt8]] = [:]
        let fixture = try Ext4Fixture(.ext4, sizeMiB: 48, files: [:]) { tree in source = try Self.makeTree(tree) }
        let fs = try fixture.open(writable: false)
        var few = HeadScanProgress()
        try fs.scanFileHeads(under: "/data", limits: Self.limits(maxEntries: 50), progress: &few) { _ in }
        #expect(few.stop == .entries && few.entries == 51)
        var small = HeadScanProgress()
        var visited = 0
        try fs.scanFileHeads(under: "/data", limits: Self.limits(maxBytes: 64 << 10), progress: &small) { _ in
            visited += 1
        }
        #expect(small.stop == .bytes && visited == small.filesRead && visited < source.count - 2)
        #expect(throws: Ext4Error.self) {
            try fs.scanFileHeads(under: "/data/big.bin", limits: Self.limits(), progress: &few) { _ in }
        }
    }
}
