import BlockIO
public import Ext4
import Foundation
import Testing
import _TestSupport

/// A filesystem variant the tests build with mkfs.
struct FilesystemVariant: CustomStringConvertible, Sendable {
    var name: String
    var fsType: String
    var options: [String]
    var description: String { name }

    static let ext4 = FilesystemVariant(name: "ext4", fsType: "ext4", options: [])
    static let all: [FilesystemVariant] = [
        ext4,
        FilesystemVariant(name: "ext2", fsType: "ext2", options: []),
        FilesystemVariant(name: "ext3", fsType: "ext3", options: []),
        FilesystemVariant(name: "ext4-1k", fsType: "ext4", options: ["-b", "1024"]),
        FilesystemVariant(name: "ext4-4k", fsType: "ext4", options: ["-b", "4096"]),
        FilesystemVariant(name: "ext4-inline", fsType: "ext4", options: ["-O", "inline_data"]),
        FilesystemVariant(name: "ext4-nocsum", fsType: "ext4", options: ["-O", "^metadata_csum"]),
        FilesystemVariant(
            name: "ext4-huge-flex-64", fsType: "ext4", options: ["-O", "64bit,flex_bg,huge_file,extent"]),
    ]
}

/// A realistic little guest tree.
let sampleTree: [String: String] = [
    "/etc/hostname": "guest-vm\n",
    "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
    "/etc/hosts": "127.0.0.1 localhost\n",
    "/etc/ssh/sshd_config": "ClientAliveInterval 120\n",
    "/etc/ssh/ssh_host_rsa_key": "RSA PRIVATE\n",
    "/etc/ssh/ssh_host_rsa_key.pub": "ssh-rsa AAAA\n",
    "/etc/ssh/ssh_host_ed25519_key": "ED PRIVATE\n",
    "/etc/ssh/moduli": "moduli\n",
    "/boot/grub/menu.lst": "default 0\ntimeout 5\n",
    "/var/lib/dhclient/dhclient-eth0.leases": "lease {}\n",
]

/// A filesystem image in a temporary folder, built by mkfs from a tree, with oracles around it.
final class Ext4Fixture: @unchecked Sendable {
    let directory: TemporaryDirectory
    let image: String

    init(
        _ variant: FilesystemVariant = .ext4, sizeMiB: Int = 16, files: [String: String] = sampleTree,
        prepareTree: ((String) throws -> Void)? = nil
    ) throws {
        directory = try TemporaryDirectory(prefix: "ext4-test")
        image = directory.file("fs.img")
        let tree = directory.file("tree")
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        try Fixtures.writeTree(files, under: tree)
        try prepareTree?(tree)
        try Fixtures.makeFilesystem(
            at: image, sizeMiB: sizeMiB, fsType: variant.fsType, tree: tree, extraOptions: variant.options)
    }

    /// Another image in `fixture`'s folder, with the same oracles.
    init(copying fixture: Ext4Fixture, image: String) {
        directory = fixture.directory
        self.image = image
    }

    /// Opens the image and its filesystem; the DiskImage stays alive with the filesystem's backend.
    func open(writable: Bool, clock: Int64? = 1_600_000_000) throws -> Ext4FileSystem {
        let disk = try openDisk(image, writable: writable)
        return try Ext4FileSystem(device: disk.device, writable: writable, clock: clock)
    }

    /// Opens writable, runs `body`, closes the filesystem (writing metadata back) and commits the image's
    /// edit journal.
    func edit(clock: Int64 = 1_600_000_000, _ body: (Ext4FileSystem) throws -> Void) throws {
        let disk = try openDisk(image, writable: true)
        let fs = try Ext4FileSystem(device: disk.device, writable: true, clock: clock)
        try body(fs)
        try fs.close()
        try disk.commit()
    }

    func debugfs(_ request: String) throws -> String { try Fixtures.debugfs(image, request) }

    /// `debugfs -R "cat PATH"` as bytes, cut at the size `debugfs stat` reports (debugfs cat prints the
    /// whole 60-byte inline area of an inline-data file).
    func debugfsCat(_ path: String) throws -> [UInt8] {
        let bytes = [UInt8](try ExternalTool.check(["debugfs", "-R", "cat \"\(path)\"", image]).stdout)
        let stat = try debugfs("stat \"\(path)\"")
        guard let range = stat.range(of: "Size: "),
            let size = Int(stat[range.upperBound...].prefix { $0.isNumber })
        else { return bytes }
        return Array(bytes.prefix(size))
    }

    /// `debugfs ls -p` of `path`: name → (inode, mode, uid, gid).
    func debugfsList(_ path: String) throws -> [String: (inode: UInt32, mode: String, uid: UInt32, gid: UInt32)] {
        var out: [String: (UInt32, String, UInt32, UInt32)] = [:]
        for line in try debugfs("ls -p \"\(path)\"").split(separator: "\n") {
            let fields = line.split(separator: "/", omittingEmptySubsequences: false)
            guard fields.count >= 6, let ino = UInt32(fields[1]), ino != 0 else { continue }  // 0: an empty slot
            let name = String(fields[5])
            if name == "." || name == ".." { continue }
            out[name] = (ino, String(fields[2]), UInt32(fields[3]) ?? 0, UInt32(fields[4]) ?? 0)
        }
        return out
    }

    /// `e2fsck -fn` must exit 0.
    func expectClean(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try Fixtures.fsck(image)
        #expect(result.status == 0, "e2fsck -fn: \(result.output)\(result.stderr)", sourceLocation: sourceLocation)
    }

    func sha256() throws -> String { try FileDigest.sha256(image) }
}

extension GuestPath: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        // Test literals are always valid paths.
        self = try! GuestPath(value)
    }
}

/// Expects `body` to throw an ``Ext4Error`` with `code`.
func expectExt4Error(
    _ code: Ext4Error.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected Ext4Error \(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as Ext4Error {
        #expect(error.code == code, "got \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected Ext4Error \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

/// `DiskImage.open`, retried for a moment while it fails with `inUse`: while a parallel test spawns a tool, the
/// child briefly holds copies of this process's descriptors (and so their flock) until it execs.
func openDisk(_ path: String, writable: Bool) throws(BlockIOError) -> DiskImage {
    var attempt = 0
    while true {
        do {
            return try DiskImage.open(path: path, writable: writable)
        } catch  where error.code == .inUse && attempt < 40 {
            attempt += 1
            usleep(25_000)
        }
    }
}
