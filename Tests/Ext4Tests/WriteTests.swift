import BlockIO
import Ext4
import Foundation
import Testing
import _TestSupport

@Suite struct WriteTests {
    @Test(arguments: FilesystemVariant.all)
    func createAndReplaceFiles(_ variant: FilesystemVariant) throws {
        let fixture = try Ext4Fixture(variant)
        try ExternalTool.check(["debugfs", "-w", "-R", "sif /etc/hosts uid 1000", fixture.image])
        try ExternalTool.check(["debugfs", "-w", "-R", "sif /etc/hosts mode 0100600", fixture.image])
        let long = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try fixture.edit { fs in
            try fs.writeFile("/etc/motd", contents: Array("welcome\n".utf8))
            try fs.writeFile("/etc/hosts", contents: Array("10.0.0.1 db\n".utf8))
            try fs.writeFile("/etc/long.bin", contents: long, options: WriteOptions(mode: 0o600, uid: 42, gid: 43))
            // Replace an inline-sized file by a larger one and back.
            try fs.writeFile("/etc/hostname", contents: long)
            try fs.writeFile("/etc/hostname", contents: Array("renamed\n".utf8))
        }
        try fixture.expectClean()
        #expect(try fixture.debugfsCat("/etc/motd").prefix(8) == Array("welcome\n".utf8)[...])
        #expect(try fixture.debugfsCat("/etc/long.bin") == long)
        let etc = try fixture.debugfsList("/etc")
        #expect(etc["motd"]?.mode == "100644" && etc["motd"]?.uid == 0 && etc["motd"]?.gid == 0)
        #expect(etc["long.bin"]?.mode == "100600" && etc["long.bin"]?.uid == 42 && etc["long.bin"]?.gid == 43)
        #expect(etc["hosts"]?.mode == "100600" && etc["hosts"]?.uid == 1000, "replace keeps mode and owner")
        let hosts = try fixture.debugfs("stat /etc/hosts")
        #expect(hosts.contains("Size: 12"))
        let hostname = try fixture.debugfs("stat /etc/hostname")
        #expect(hostname.contains("Size: 8"))
        // Reopen and read back through our own reader too.
        let fs = try fixture.open(writable: false)
        #expect(try fs.readFile("/etc/hostname") == Array("renamed\n".utf8))
        #expect(try fs.readFile("/etc/long.bin") == long)
    }

    @Test func writeIntoExistingNameNeverDuplicatesEntries() throws {
        let fixture = try Ext4Fixture()
        try fixture.edit { fs in
            for round in 0..<3 { try fs.writeFile("/etc/passwd", contents: Array("round \(round)\n".utf8)) }
            expectExt4Error(.exists) { try fs.makeSymlink("/etc/passwd", target: "/x") }
            expectExt4Error(.exists) { try fs.makeDirectory("/etc") }
            expectExt4Error(.isDirectory) { try fs.writeFile("/etc", contents: []) }
            expectExt4Error(.notFound) { try fs.writeFile("/no/such/dir/file", contents: []) }
            expectExt4Error(.invalidArgument) { try fs.writeFile("/", contents: []) }
        }
        try fixture.expectClean()
        let lines = try fixture.debugfs("ls -p /etc").split(separator: "\n").filter { $0.contains("/passwd/") }
        #expect(lines.count == 1)
        #expect(try fixture.debugfsCat("/etc/passwd") == Array("round 2\n".utf8))
    }

    @Test(arguments: [
        FilesystemVariant.ext4, FilesystemVariant.all[1], FilesystemVariant.all[3], FilesystemVariant.all[5],
    ])
    func largeAndSparseFiles(_ variant: FilesystemVariant) throws {
        let fixture = try Ext4Fixture(variant, sizeMiB: 64)
        var data = [UInt8](repeating: 0, count: 12 << 20)
        for index in stride(from: 0, to: 65536, by: 1) { data[index] = UInt8(truncatingIfNeeded: index * 31 + 1) }
        for index in (8 << 20)..<((8 << 20) + 1000) { data[index] = 0xAB }
        data[data.count - 1] = 0x5A
        try fixture.edit { fs in
            try fs.writeFile("/sparse.bin", contents: data)
            try fs.truncate("/etc/passwd", to: 3)
            try fs.truncate("/etc/hosts", to: 1 << 20)
            try fs.writeFile("/huge", contents: Array("start".utf8))
            try fs.truncate("/huge", to: 5 << 30)  // past 4 GiB: large_file, a hole
        }
        try fixture.expectClean()
        let dumped = fixture.directory.file("sparse.out")
        try ExternalTool.check(["debugfs", "-R", "dump /sparse.bin \(dumped)", fixture.image])
        #expect(try FileDigest.sha256(dumped) == sha256(data, in: fixture))
        let stat = try fixture.debugfs("stat /sparse.bin")
        let blockCount = Int(stat.split(separator: "Blockcount: ")[1].prefix { $0.isNumber }) ?? -1
        #expect(blockCount > 0 && blockCount < (4 << 20) / 512, "holes stay unallocated: \(blockCount) sectors")
        #expect(try fixture.debugfsCat("/etc/passwd") == Array("roo".utf8))
        #expect(try fixture.debugfs("stat /etc/hosts").contains("Size: 1048576"))
        #expect(try fixture.debugfs("stat /huge").contains("Size: 5368709120"))
        let fs = try fixture.open(writable: false)
        #expect(try fs.stat("/huge").size == 5 << 30)
        #expect(try fs.readFile("/etc/hosts").count == 1 << 20)
    }

    private func sha256(_ bytes: [UInt8], in fixture: Ext4Fixture) throws -> String {
        let path = fixture.directory.file("expected.bin")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try FileDigest.sha256(path)
    }

    @Test(arguments: FilesystemVariant.all)
    func directoriesLinksAndMetadata(_ variant: FilesystemVariant) throws {
        let fixture = try Ext4Fixture(variant)
        try fixture.edit { fs in
            try fs.makeDirectory("/opt/app/conf.d", parents: true)
            try fs.makeDirectory("/opt/app/conf.d", parents: true)  // idempotent
            try fs.makeDirectory("/srv", options: WriteOptions(mode: 0o700, uid: 5, gid: 6))
            try fs.writeFile("/opt/app/conf.d/a.conf", contents: Array("a=1\n".utf8))
            try fs.makeSymlink("/etc/localtime", target: "/usr/share/zoneinfo/UTC")
            try fs.makeSymlink("/opt/app/current", target: "conf.d")
            try fs.chmod("/etc/ssh/ssh_host_rsa_key", mode: 0o600)
            try fs.chown("/etc/ssh/ssh_host_rsa_key", uid: 0, gid: 998)
            try fs.rename("/etc/ssh/moduli", to: "/etc/moduli.old")
            try fs.rename("/boot/grub", to: "/opt/grub")  // a directory across parents
            try fs.rename("/etc/hosts", to: "/etc/hostname")  // replaces an existing file
            try fs.remove("/var/lib/dhclient/dhclient-eth0.leases")
            try fs.removeDirectory("/var/lib/dhclient")
            expectExt4Error(.notEmpty) { try fs.removeDirectory("/etc/ssh") }
            expectExt4Error(.isDirectory) { try fs.remove("/etc/ssh") }
            expectExt4Error(.escapesRoot) { try fs.rename("/opt", to: "/opt/app/inside") }
            #expect(try fs.readlink("/etc/localtime") == Array("/usr/share/zoneinfo/UTC".utf8))
            #expect(try fs.readFile("/opt/app/current/a.conf") == Array("a=1\n".utf8))
            expectExt4Error(.notSymlink) { _ = try fs.readlink("/etc/passwd") }
        }
        try fixture.expectClean()
        let opt = try fixture.debugfsList("/opt/app")
        #expect(opt["conf.d"]?.mode == "040755")
        #expect(opt["current"]?.mode == "120777")
        #expect(try fixture.debugfsList("/")["srv"].map { ($0.mode, $0.uid, $0.gid) } ?? ("", 0, 0) == ("040700", 5, 6))
        let ssh = try fixture.debugfsList("/etc/ssh")
        #expect(ssh["ssh_host_rsa_key"]?.mode == "100600" && ssh["ssh_host_rsa_key"]?.gid == 998)
        #expect(ssh["moduli"] == nil)
        #expect(try fixture.debugfsCat("/etc/moduli.old") == Array("moduli\n".utf8))
        #expect(try fixture.debugfsCat("/etc/hostname") == Array("127.0.0.1 localhost\n".utf8))
        #expect(try fixture.debugfsList("/etc")["hosts"] == nil)
        #expect(try fixture.debugfsCat("/opt/grub/menu.lst") == Array("default 0\ntimeout 5\n".utf8))
        #expect(try fixture.debugfsList("/boot")["grub"] == nil)
        #expect(try fixture.debugfsList("/var/lib")["dhclient"] == nil)
        #expect(try fixture.debugfs("stat /etc/localtime").contains("Fast link dest: \"/usr/share/zoneinfo/UTC\""))
        // The moved directory's '..' points at its new parent.
        let grub = try fixture.debugfsList("/opt")["grub"]!.inode
        let dotdot = try fixture.debugfs("ls -p /opt/grub").split(separator: "\n").first { $0.hasSuffix("/..//") }
        let optInode = try fixture.debugfs("stat /opt").split(separator: " ")[1]
        #expect(dotdot?.hasPrefix("/\(optInode)/") == true, "\(String(describing: dotdot)) grub=\(grub)")
    }

    @Test(arguments: FilesystemVariant.all)
    func recursiveDelete(_ variant: FilesystemVariant) throws {
        let fixture = try Ext4Fixture(variant)
        try fixture.edit { fs in
            for index in 0..<30 {
                try fs.makeDirectory(try GuestPath("/tree/d\(index % 5)/e\(index)"), parents: true)
                try fs.writeFile(
                    try GuestPath("/tree/d\(index % 5)/e\(index)/f"), contents: [UInt8](repeating: 1, count: 3000))
                try fs.makeSymlink(try GuestPath("/tree/d\(index % 5)/l\(index)"), target: "/etc/passwd")
            }
            try fs.removeDirectory("/tree", recursive: true)
            try fs.removeDirectory("/etc/ssh", recursive: true)
        }
        try fixture.expectClean()
        #expect(try fixture.debugfsList("/")["tree"] == nil)
        #expect(try fixture.debugfsList("/etc")["ssh"] == nil)
        let passwd = Array(sampleTree["/etc/passwd"]!.utf8)
        #expect(try fixture.debugfsCat("/etc/passwd").prefix(passwd.count) == passwd[...], "links not followed")
        #expect(try fixture.debugfs("stat /etc/passwd").contains("Size: \(passwd.count)"))
    }

    @Test(arguments: [FilesystemVariant.all[3], FilesystemVariant.all[5], FilesystemVariant.all[1]])
    func manyEntriesExpandTheDirectory(_ variant: FilesystemVariant) throws {
        let fixture = try Ext4Fixture(variant, sizeMiB: 32)
        let names = (0..<400).map { "entry-with-a-rather-long-name-to-fill-blocks-\($0)" }
        try fixture.edit { fs in
            try fs.makeDirectory("/big")
            for name in names { try fs.writeFile(GuestPath.root.appending("big").appending(name), contents: [1]) }
            for name in names.prefix(100) { try fs.remove(GuestPath.root.appending("big").appending(name)) }
        }
        try fixture.expectClean()
        let listed = try fixture.debugfsList("/big")
        #expect(listed.count == 300)
        let fs = try fixture.open(writable: false)
        #expect(try fs.list("/big").count == 300)
    }

    @Test(arguments: [FilesystemVariant.ext4, FilesystemVariant.all[5], FilesystemVariant.all[1]])
    func namesWithSpacesNewlinesAndNonUTF8Bytes(_ variant: FilesystemVariant) throws {
        let fixture = try Ext4Fixture(variant)
        let odd: [[UInt8]] = [
            Array("with space".utf8), Array("new\nline".utf8), [0x66, 0xFF, 0xFE, 0x2E], Array("tab\there".utf8),
            Array("ünïcödé".utf8), Array("back\\slash".utf8),
        ]
        try fixture.edit { fs in
            try fs.makeDirectory("/odd")
            for name in odd {
                try fs.writeFile(GuestPath.root.appending("odd").appending(GuestName(bytes: name)), contents: name)
            }
        }
        try fixture.expectClean()
        let fs = try fixture.open(writable: false)
        let entries = try fs.list("/odd")
        #expect(Set(entries.map(\.name.bytes)) == Set(odd))
        for entry in entries {
            #expect(try fs.readFile(entry.path) == entry.name.bytes)
            #expect(GuestName(escaped: entry.name.display) == entry.name, "display form is lossless")
            #expect(!entry.name.display.contains("\n"))
        }
        #expect(GuestName(bytes: [0x66, 0xFF, 0xFE, 0x2E]).display == "f\\xff\\xfe.")
        #expect(GuestName(bytes: Array("new\nline".utf8)).display == "new\\nline")
        // debugfs sees the raw bytes too.
        let raw = try ExternalTool.check(["debugfs", "-R", "ls -p /odd", fixture.image]).stdout
        #expect(raw.range(of: Data([0x2F, 0x66, 0xFF, 0xFE, 0x2E, 0x2F])) != nil)
    }

    @Test func fixedClockStampsEveryChange() throws {
        let fixture = try Ext4Fixture()
        try fixture.edit(clock: 1_234_567_890) { fs in
            try fs.writeFile("/etc/new", contents: [1])
            try fs.makeDirectory("/newdir")
            try fs.makeSymlink("/newlink", target: "etc")
            try fs.chmod("/etc/passwd", mode: 0o640)
        }
        try fixture.expectClean()
        for path in ["/etc/new", "/newdir", "/newlink"] {
            let stat = try fixture.debugfs("stat \(path)")
            for field in ["ctime", "mtime", "atime"] {
                #expect(stat.contains("\(field): 0x499602d2"), "\(path) \(field): \(stat)")
            }
        }
        #expect(try fixture.debugfs("stat /etc/passwd").contains("ctime: 0x499602d2"))
        #expect(try fixture.debugfs("stat /").contains("mtime: 0x499602d2"))
    }

    @Test func sliceDeviceAtAnOffset() throws {
        let fixture = try Ext4Fixture()
        let disk = fixture.directory.file("disk.raw")
        let offset: UInt64 = 1 << 20
        let fsSize = try FileManager.default.attributesOfItem(atPath: fixture.image)[.size] as! UInt64
        try ExternalTool.check(["truncate", "-s", "\(fsSize + 2 * offset)", disk])
        try ExternalTool.check(
            ["sfdisk", "-q", disk], stdin: Data("start=2048, size=\(fsSize / 512), type=83\n".utf8))
        try ExternalTool.check([
            "dd", "if=\(fixture.image)", "of=\(disk)", "bs=1M", "seek=1", "conv=notrunc", "status=none",
        ])
        do {
            let image = try openDisk(disk, writable: true)
            let slice = try SliceDevice(base: image.device, start: offset, size: fsSize)
            let fs = try Ext4FileSystem(device: slice, writable: true, clock: 1_600_000_000)
            try fs.writeFile("/etc/motd", contents: Array("through a slice\n".utf8))
            try fs.removeDirectory("/boot", recursive: true)
            try fs.close()
            try image.commit()
        }
        let result = try Fixtures.fsck(disk, offset: offset)
        #expect(result.status == 0, "\(result.output)")
        let extracted = fixture.directory.file("part.img")
        try ExternalTool.check([
            "dd", "if=\(disk)", "of=\(extracted)", "bs=1M", "skip=1", "count=\(fsSize >> 20)", "status=none",
        ])
        #expect(try Fixtures.debugfs(extracted, "cat /etc/motd") == "through a slice\n")
        // The partition table in front of the slice is untouched.
        let table = try ExternalTool.check(["sfdisk", "--json", disk]).output
        #expect(table.contains("\"start\": 2048"))
    }

    @Test func deviceErrorsCarryTheBlockIOError() throws {
        let fixture = try Ext4Fixture()
        let image = try openDisk(fixture.image, writable: false)
        // A device far too small for the filesystem's block count: libext2fs reads past its end.
        let slice = try SliceDevice(base: image.device, start: 0, size: 64 * 1024)
        do {
            let fs = try Ext4FileSystem(device: slice, writable: false)
            _ = try fs.list(.root, recursive: true).map { entry in
                entry.kind == .regular ? try fs.readFile(entry.path) : []
            }
            Issue.record("reading a truncated filesystem succeeded")
        } catch let error as Ext4Error {
            #expect(error.code == .io || error.code == .corrupt, "\(error)")
        }
        expectExt4Error(.readOnly) { _ = try Ext4FileSystem(device: image.device, writable: true) }
    }
}

@Suite struct FailureTests {
    @Test func aFailedSessionLeavesTheImageAsItWas() throws {
        let fixture = try Ext4Fixture(sizeMiB: 8)
        let before = try fixture.sha256()
        do {
            let disk = try openDisk(fixture.image, writable: true)
            let fs = try Ext4FileSystem(device: disk.device, writable: true)
            try fs.writeFile("/etc/first", contents: [1, 2, 3])
            do {
                try fs.writeFile("/fill", contents: [UInt8](repeating: 0x77, count: 12 << 20))
                Issue.record("writing 12 MiB into an 8 MiB filesystem succeeded")
            } catch {
                #expect(error.code == .noSpace, "\(error)")
            }
            // Dropped without close or commit: nothing of the session reaches the image.
        }
        #expect(try fixture.sha256() == before)
        try fixture.expectClean()
    }

    @Test func noSpaceIsReportedAndAFsckCleanStateRemains() throws {
        let fixture = try Ext4Fixture(sizeMiB: 8)
        try fixture.edit { fs in
            // Known size: refused before anything changes; the session goes on.
            expectExt4Error(.noSpace) { try fs.writeFile("/fill", contents: [UInt8](repeating: 0x77, count: 12 << 20)) }
            #expect(try !fs.exists("/fill"))
            try fs.writeFile("/etc/after", contents: Array("ok\n".utf8))
        }
        try fixture.expectClean()
        #expect(try fixture.debugfsCat("/etc/after") == Array("ok\n".utf8))
    }

    @Test func runningOutOfSpacePartWayAbortsTheSession() throws {
        // In memory (no edit journal underneath): only the filesystem layer's own refusal is tested here.
        let fixture = try Ext4Fixture(
            FilesystemVariant(name: "4k", fsType: "ext4", options: ["-b", "4096"]), sizeMiB: 6)
        let device = MemoryDevice(
            bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture.image))), writable: true)
        let fs = try Ext4FileSystem(device: device, writable: true)
        var chunks = 0
        let chunk = [UInt8](repeating: 0x55, count: 1 << 20)
        expectExt4Error(.noSpace) {
            try fs.writeFile("/fill") { () throws(Ext4Error) -> [UInt8]? in  // no size hint: fails part-way
                chunks += 1
                return chunks <= 12 ? chunk : nil
            }
        }
        #expect(chunks > 1, "the failure came part-way, not from the up-front check")
        #expect(fs.hasFailedChange)
        expectExt4Error(.aborted) { try fs.writeFile("/etc/more", contents: [1]) }
        let writesBeforeClose = device.writes
        expectExt4Error(.aborted) { try fs.close() }
        #expect(device.writes == writesBeforeClose, "close wrote nothing back")
    }
}

@Suite struct ReproducibilityTests {
    @Test func theSameEditWithAFixedClockGivesTheSameBytes() throws {
        let fixture = try Ext4Fixture()
        let copy = fixture.directory.file("copy.img")
        try ExternalTool.check(["cp", "--sparse=always", fixture.image, copy])
        func edit(_ path: String) throws {
            let disk = try openDisk(path, writable: true)
            let fs = try Ext4FileSystem(device: disk.device, writable: true, clock: 1_700_000_000)
            try fs.writeFile("/etc/motd", contents: Array("same\n".utf8))
            try fs.makeDirectory("/var/lib/waagent", parents: true)
            try fs.makeSymlink("/etc/resolv.conf.link", target: "../run/resolv.conf")
            try fs.remove("/etc/ssh/ssh_host_rsa_key")
            try fs.close()
            try disk.commit()
        }
        try edit(fixture.image)
        try edit(copy)
        #expect(try FileDigest.sha256(fixture.image) == FileDigest.sha256(copy))
        try fixture.expectClean()
    }
}
