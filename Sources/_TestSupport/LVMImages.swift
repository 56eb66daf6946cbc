import Foundation

/// A disk image with LVM2 volume groups built by ``LVMImages`` with real lvm2, and lvm's answer of where each
/// logical volume lies.
public struct LVMImage: Sendable {
    /// Keeps the folder alive.
    public let directory: TemporaryDirectory
    /// The raw image.
    public let path: String
    /// Each LV's segments (key `VG/LV`) as `lvs` reports them, in bytes on the image file.
    public let segments: [String: [LVMFixture.Segment]]
    /// Each PV's label and metadata area: `(image byte offset, length)` from the PV start up to its first extent.
    public let metadataRanges: [(offset: UInt64, length: UInt64)]
    /// `vgs -o vg_name,vg_seqno,vg_uuid`: each group's sequence number and UUID.
    public let groups: [String: (seqno: UInt64, uuid: String)]
    /// `pvs -o pv_uuid`: the PV UUIDs.
    public let physicalVolumeUUIDs: [String]

    /// A sparse copy of the image in `directory` (the fixture itself is shared and must not change).
    public func copy(to directory: TemporaryDirectory, as name: String = "lvm.raw") throws -> String {
        let destination = directory.file(name)
        try ExternalTool.check(["cp", "--sparse=always", path, destination])
        return destination
    }

    /// The bytes of the LV `name` (`VG/LV`) of the image at `image`, reassembled from lvm's map into `file`.
    public func extract(_ name: String, from image: String, into file: String) throws {
        try LVMFixture.readVolume(from: image, segments: segments[name]!, into: file)
    }

    /// The SHA-256 of every PV's label and metadata area in `image` (to show they never change).
    public func metadataDigest(of image: String) throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: image))
        defer { try? handle.close() }
        var all = Data()
        for range in metadataRanges {
            try handle.seek(toOffset: range.offset)
            all += try handle.read(upToCount: Int(range.length)) ?? Data()
        }
        let file = image + ".lvm-metadata"
        try all.write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try FileDigest.sha256(file)
    }
}

/// The LVM layouts the tests share, each built once per test process with real tools:
///
/// - ``ubuntu()``: MBR, partition 1 a 16 MiB ext4 `/boot`, partition 2 (type `8e`) a PV of `ubuntu-vg` holding
///   `ubuntu-lv` (ext4 root whose fstab mounts `/dev/mapper/ubuntu--vg-ubuntu--lv` at `/`).
/// - ``rhel()``: GPT, a `/boot` partition and two PV partitions of `rootvg` (4 MiB extents): `rootlv` in two
///   segments (extended after `homelv` was made), `homelv`, and `varlv` striped over both PVs (64 KiB stripes).
/// - ``wholeDisk()``: no partition table, the whole disk a PV of `datavg` with a 32 KiB metadata area updated
///   until its circular buffer wrapped; `datavg/root` holds the root.
/// - ``unnamed()``: MBR, one PV partition of `sys` holding `a` (ext4 data, made first) and `b` (ext4 root whose own
///   fstab mounts `UUID=`\(``unnamedRootUUID``) at `/` and `/dev/sys/a` at `/srv`): nothing in the names says
///   which is the root.
public enum LVMImages {
    /// The files of a small Linux root (hostname, fstab, os-release, a log, a history, an SSH host key).
    public static func guestTree(fstab: String, hostname: String) -> [String: String] {
        [
            "/etc/hostname": hostname + "\n",
            "/etc/fstab": fstab,
            "/etc/os-release": "NAME=\"Ubuntu\"\nID=ubuntu\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04 LTS\"\n",
            "/etc/machine-id": "0123456789abcdef0123456789abcdef\n",
            "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
            "/etc/group": "root:x:0:\n",
            "/etc/shadow": "root:*:19000:0:99999:7:::\n",
            "/etc/ssh/ssh_host_rsa_key":
                "-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----\n",
            "/var/log/syslog": "Dec  7 boot\n",
            "/root/.bash_history": "ls\n",
            "/tmp/.keep": "",
        ]
    }

    private static let builtLock = NSLock()
    nonisolated(unsafe) private static var builtFolders: [TemporaryDirectory] = []
    private static let removeAtExit: Void = { atexit { LVMImages.removeBuilt() } }()

    /// Keeps `folder` until the test process exits (the shared images live in statics, which are never freed).
    private static func remember(_ folder: TemporaryDirectory) {
        _ = removeAtExit
        builtLock.lock()
        builtFolders.append(folder)
        builtLock.unlock()
    }

    private static func removeBuilt() {
        builtLock.lock()
        for folder in builtFolders { try? FileManager.default.removeItem(atPath: folder.path) }
        builtLock.unlock()
    }

    private static let ubuntuImage = Result { try buildUbuntu() }
    private static let rhelImage = Result { try buildRHEL() }
    private static let wholeDiskImage = Result { try buildWholeDisk() }
    private static let unnamedImage = Result { try buildUnnamed() }

    /// The Ubuntu-style image (built on first use).
    public static func ubuntu() throws -> LVMImage { try ubuntuImage.get() }
    /// The RHEL-style image (built on first use).
    public static func rhel() throws -> LVMImage { try rhelImage.get() }
    /// The whole-disk PV image with wrapped metadata (built on first use).
    public static func wholeDisk() throws -> LVMImage { try wholeDiskImage.get() }
    /// The image whose root LV is known only by its own fstab (built on first use).
    public static func unnamed() throws -> LVMImage { try unnamedImage.get() }

    /// The filesystem UUID of `sys/b` in ``unnamed()`` (its own fstab mounts `/` by this UUID).
    public static let unnamedRootUUID = "7d3c9a10-2b4e-4f6a-8c1d-5e0f9b2a7c44"

    /// The filesystem UUID of `rootvg/varlv` in ``rhel()`` (its fstab mounts `/var` by this UUID).
    public static let rhelVarUUID = "5e1f0c2a-8d6b-4f43-9a57-3c2b1d0e9f88"

    private static let lvmPartition = "E6D6D379-F507-44C2-A23C-238F2A3DF928"
    private static let linuxPartition = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

    /// Makes an ext4 of `sizeMiB` from `files` and copies it into the LV `segments` of `image`.
    private static func placeFilesystem(
        _ files: [String: String], sizeMiB: Int, label: String? = nil, extra: [String] = [],
        in directory: TemporaryDirectory, name: String, image: String, segments: [LVMFixture.Segment]
    ) throws {
        let tree = directory.file("tree-\(name)")
        try Fixtures.writeTree(files, under: tree)
        let file = directory.file("fs-\(name).img")
        try Fixtures.makeFilesystem(
            at: file, sizeMiB: sizeMiB, tree: tree, extraOptions: (label.map { ["-L", $0] } ?? []) + extra)
        try LVMFixture.writeVolume(file, into: image, segments: segments)
        try FileManager.default.removeItem(atPath: file)
        try FileManager.default.removeItem(atPath: tree)
    }

    /// Makes an ext4 of `sizeMiB` from `files` at byte `offset` of `image`.
    private static func placeFilesystem(
        _ files: [String: String], sizeMiB: Int, label: String?, in directory: TemporaryDirectory, name: String,
        image: String, offset: UInt64
    ) throws {
        let segment = LVMFixture.Segment(
            lvStart: 0, length: UInt64(sizeMiB) << 20, type: "linear", stripeStarts: [offset], stripeSize: 0)
        try placeFilesystem(
            files, sizeMiB: sizeMiB, label: label, in: directory, name: name, image: image, segments: [segment])
    }

    private static func finish(
        _ fixture: LVMFixture, directory: TemporaryDirectory, groups names: [String]
    ) throws -> (
        segments: [String: [LVMFixture.Segment]], ranges: [(offset: UInt64, length: UInt64)],
        groups: [String: (seqno: UInt64, uuid: String)], uuids: [String]
    ) {
        var segments: [String: [LVMFixture.Segment]] = [:]
        var groups: [String: (seqno: UInt64, uuid: String)] = [:]
        for group in names {
            for (lv, list) in try fixture.segments(group: group) { segments["\(group)/\(lv)"] = list }
            let fields = try fixture.lvm(["vgs", "--noheadings", "-o", "vg_seqno,vg_uuid", group]).output
                .split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            groups[group] = (UInt64(fields[0])!, fields[1])
        }
        var ranges: [(offset: UInt64, length: UInt64)] = []
        var uuids: [String] = []
        let pvs = try fixture.lvm([
            "pvs", "--noheadings", "--nosuffix", "--units", "b", "-o", "pv_name,pe_start,pv_uuid",
        ])
        for line in pvs.output.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            let loop = fixture.loops.first { $0.device == fields[0] }!
            ranges.append((loop.offset, UInt64(fields[1])!))
            uuids.append(fields[2])
        }
        return (segments, ranges, groups, uuids)
    }

    private static func buildUbuntu() throws -> LVMImage {
        let directory = try TemporaryDirectory(prefix: "vhdedit-lvm-ubuntu")
        remember(directory)
        let path = directory.file("ubuntu-lvm.raw")
        try ExternalTool.check(["truncate", "-s", "80M", path])
        try ExternalTool.check(
            ["sfdisk", "-q", "--no-reread", "--no-tell-kernel", path],
            stdin: Data("label: dos\nstart=2048, size=32768, type=83\nstart=34816, type=8e\n".utf8))
        let fixture = LVMFixture(path: path)
        defer { fixture.detachAll() }
        let pv = try fixture.attach(offset: 34816 * 512, size: (80 << 20) - 34816 * 512)
        try fixture.lvm(["pvcreate", "-y", pv])
        try fixture.lvm(["vgcreate", "ubuntu-vg", pv])
        try fixture.lvcreate(["-L", "40M", "-n", "ubuntu-lv", "ubuntu-vg"])
        let facts = try finish(fixture, directory: directory, groups: ["ubuntu-vg"])
        let fstab = "/dev/mapper/ubuntu--vg-ubuntu--lv / ext4 defaults 0 1\n/dev/sda1 /boot ext4 defaults 0 1\n"
        try placeFilesystem(
            guestTree(fstab: fstab, hostname: "ubuntu-lvm"), sizeMiB: 40, in: directory, name: "root", image: path,
            segments: facts.segments["ubuntu-vg/ubuntu-lv"]!)
        try placeFilesystem(
            ["/grub/grub.cfg": "linux /vmlinuz root=/dev/mapper/ubuntu--vg-ubuntu--lv ro\n"], sizeMiB: 16, label: nil,
            in: directory, name: "boot", image: path, offset: 2048 * 512)
        return LVMImage(
            directory: directory, path: path, segments: facts.segments, metadataRanges: facts.ranges,
            groups: facts.groups, physicalVolumeUUIDs: facts.uuids)
    }

    private static func buildRHEL() throws -> LVMImage {
        let directory = try TemporaryDirectory(prefix: "vhdedit-lvm-rhel")
        remember(directory)
        let path = directory.file("rhel-lvm.raw")
        try ExternalTool.check(["truncate", "-s", "120M", path])
        let script = """
            label: gpt
            start=2048, size=32768, type=\(linuxPartition), name=boot
            start=34816, size=98304, type=\(lvmPartition)
            start=133120, size=98304, type=\(lvmPartition)

            """
        try ExternalTool.check(["sfdisk", "-q", "--no-reread", "--no-tell-kernel", path], stdin: Data(script.utf8))
        let fixture = LVMFixture(path: path)
        defer { fixture.detachAll() }
        let pv1 = try fixture.attach(offset: 34816 * 512, size: 98304 * 512)
        let pv2 = try fixture.attach(offset: 133120 * 512, size: 98304 * 512)
        try fixture.lvm(["pvcreate", "-y", pv1, pv2])
        try fixture.lvm(["vgcreate", "-s", "4M", "rootvg", pv1, pv2])
        try fixture.lvcreate(["-L", "16M", "-n", "rootlv", "rootvg", pv1])
        try fixture.lvcreate(["-L", "4M", "-n", "homelv", "rootvg", pv1])
        try fixture.lvm(["lvextend", "--driverloaded", "n", "-L", "+16M", "rootvg/rootlv", pv1])
        try fixture.lvcreate(["-i", "2", "-I", "64k", "-L", "16M", "-n", "varlv", "rootvg", pv1, pv2])
        let facts = try finish(fixture, directory: directory, groups: ["rootvg"])
        let varUUID = LVMImages.rhelVarUUID
        let fstab = """
            /dev/mapper/rootvg-rootlv / ext4 defaults 0 0
            LABEL=boot /boot ext4 defaults 0 0
            UUID=\(varUUID) /var ext4 defaults 0 0
            /dev/rootvg/homelv /home ext4 defaults 0 0

            """
        try placeFilesystem(
            guestTree(fstab: fstab, hostname: "rhel-lvm"), sizeMiB: 32, in: directory, name: "root", image: path,
            segments: facts.segments["rootvg/rootlv"]!)
        try placeFilesystem(
            ["/log/messages": "Dec  7 boot\n", "/lib/marker": "var\n"], sizeMiB: 16, label: "var",
            extra: ["-U", varUUID], in: directory, name: "var", image: path, segments: facts.segments["rootvg/varlv"]!)
        try placeFilesystem(
            ["/azureuser/.bash_history": "ls\n"], sizeMiB: 4, in: directory, name: "home", image: path,
            segments: facts.segments["rootvg/homelv"]!)
        try placeFilesystem(
            ["/grub2/grub.cfg": "linux /vmlinuz root=/dev/mapper/rootvg-rootlv ro\n"], sizeMiB: 16, label: "boot",
            in: directory, name: "boot", image: path, offset: 2048 * 512)
        return LVMImage(
            directory: directory, path: path, segments: facts.segments, metadataRanges: facts.ranges,
            groups: facts.groups, physicalVolumeUUIDs: facts.uuids)
    }

    private static func buildUnnamed() throws -> LVMImage {
        let directory = try TemporaryDirectory(prefix: "vhdedit-lvm-unnamed")
        remember(directory)
        let path = directory.file("unnamed-lvm.raw")
        try ExternalTool.check(["truncate", "-s", "64M", path])
        try ExternalTool.check(
            ["sfdisk", "-q", "--no-reread", "--no-tell-kernel", path],
            stdin: Data("label: dos\nstart=2048, type=8e\n".utf8))
        let fixture = LVMFixture(path: path)
        defer { fixture.detachAll() }
        let pv = try fixture.attach(offset: 2048 * 512, size: (64 << 20) - 2048 * 512)
        try fixture.lvm(["pvcreate", "-y", pv])
        try fixture.lvm(["vgcreate", "-s", "1M", "sys", pv])
        try fixture.lvcreate(["-L", "16M", "-n", "a", "sys"])
        try fixture.lvcreate(["-L", "32M", "-n", "b", "sys"])
        let facts = try finish(fixture, directory: directory, groups: ["sys"])
        try placeFilesystem(
            ["/www/index.html": "<p>data</p>\n"], sizeMiB: 16, in: directory, name: "a", image: path,
            segments: facts.segments["sys/a"]!)
        let fstab = "UUID=\(unnamedRootUUID) / ext4 defaults 0 1\n/dev/sys/a /srv ext4 defaults 0 2\n"
        try placeFilesystem(
            guestTree(fstab: fstab, hostname: "unnamed-lvm"), sizeMiB: 32, extra: ["-U", unnamedRootUUID],
            in: directory, name: "b", image: path, segments: facts.segments["sys/b"]!)
        return LVMImage(
            directory: directory, path: path, segments: facts.segments, metadataRanges: facts.ranges,
            groups: facts.groups, physicalVolumeUUIDs: facts.uuids)
    }

    private static func buildWholeDisk() throws -> LVMImage {
        let directory = try TemporaryDirectory(prefix: "vhdedit-lvm-whole")
        remember(directory)
        let path = directory.file("whole-lvm.raw")
        try ExternalTool.check(["truncate", "-s", "48M", path])
        let fixture = LVMFixture(path: path)
        defer { fixture.detachAll() }
        let pv = try fixture.attach(offset: 0, size: 48 << 20)
        try fixture.lvm(["pvcreate", "-y", "--metadatasize", "32k", "--dataalignment", "4k", pv])
        try fixture.lvm(["vgcreate", "-s", "1M", "datavg", pv])
        try fixture.lvcreate(["-L", "32M", "-n", "root", "datavg"])
        // Metadata growing by 3 KiB each time: the fourth copy no longer fits before the 32 KiB area's end.
        let filler = String(repeating: "x", count: 1000)
        for round in 1...4 {
            try fixture.lvm(["vgchange"] + (1...3).flatMap { ["--addtag", "r\(round)t\($0)\(filler)"] } + ["datavg"])
        }
        let facts = try finish(fixture, directory: directory, groups: ["datavg"])
        try placeFilesystem(
            guestTree(fstab: "/dev/datavg/root / ext4 defaults 0 1\n", hostname: "whole-lvm"), sizeMiB: 32,
            in: directory, name: "root", image: path, segments: facts.segments["datavg/root"]!)
        return LVMImage(
            directory: directory, path: path, segments: facts.segments, metadataRanges: facts.ranges,
            groups: facts.groups, physicalVolumeUUIDs: facts.uuids)
    }
}
