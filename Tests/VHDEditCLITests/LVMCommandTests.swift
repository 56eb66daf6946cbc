import Foundation
import Testing
import _TestSupport

/// Why the LVM command tests cannot run here, for their `.enabled(if:)` trait.
let lvmUnavailableForCLI = LVMFixture.unavailableReason

/// The commands on roots and volumes inside LVM2 logical volumes made by real lvm2: writes go into the LV's
/// extents (checked by reassembling the LV from lvs' map and running `e2fsck -fn` and `debugfs` on it), and no
/// byte of the PVs' labels and metadata areas changes.
@Suite(.enabled(if: lvmUnavailableForCLI == nil, "\(lvmUnavailableForCLI ?? "")")) struct LVMCommandTests {
    func debugfs(_ file: String, _ request: String) throws -> String {
        try ExternalTool.check(["debugfs", "-R", request, file]).output
    }

    @Test func putIntoAStripedVolumeAndATwoSegmentRoot() throws {
        let image = try LVMImages.rhel()
        let work = try TemporaryDirectory()
        let copy = try image.copy(to: work)
        let before = try image.metadataDigest(of: copy)
        // 200 KiB crosses several 64 KiB stripe chunks of varlv.
        let payload = work.file("payload")
        try Data((0..<(200 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }).write(
            to: URL(fileURLWithPath: payload))
        let put = try CLI.run(["put", "--volume", "rootvg/varlv", copy, payload, "/lib/payload.bin"])
        #expect(put.status == 0, "\(put.stderr)")
        // The default root is rootvg/rootlv: its second segment lies after homelv.
        let hostname = work.file("hostname")
        try "renamed\n".write(toFile: hostname, atomically: true, encoding: .utf8)
        let root = try CLI.run(["put", copy, hostname, "/etc/hostname"])
        #expect(root.status == 0, "\(root.stderr)")
        #expect(try image.metadataDigest(of: copy) == before)

        let varlv = work.file("varlv.img")
        try image.extract("rootvg/varlv", from: copy, into: varlv)
        let fsck = try Fixtures.fsck(varlv)
        #expect(fsck.status == 0, "\(fsck.output)")
        let dumped = work.file("dumped")
        _ = try debugfs(varlv, "dump /lib/payload.bin \(dumped)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dumped)) == Data(contentsOf: URL(fileURLWithPath: payload)))
        let rootlv = work.file("rootlv.img")
        try image.extract("rootvg/rootlv", from: copy, into: rootlv)
        #expect(try Fixtures.fsck(rootlv).status == 0)
        #expect(try debugfs(rootlv, "cat /etc/hostname") == "renamed\n")
    }

    @Test func generalizeAnUbuntuRootOnALogicalVolume() throws {
        let image = try LVMImages.ubuntu()
        let work = try TemporaryDirectory()
        let copy = try image.copy(to: work)
        let before = try image.metadataDigest(of: copy)
        let bootBefore = try ExternalTool.check(["dd", "if=\(copy)", "bs=1M", "skip=1", "count=16", "status=none"])
            .stdout
        let result = try CLI.run(["generalize", copy, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try image.metadataDigest(of: copy) == before)
        // The /boot partition beside the PV is untouched.
        #expect(
            try ExternalTool.check(["dd", "if=\(copy)", "bs=1M", "skip=1", "count=16", "status=none"]).stdout
                == bootBefore)
        let root = work.file("root.img")
        try image.extract("ubuntu-vg/ubuntu-lv", from: copy, into: root)
        let fsck = try Fixtures.fsck(root)
        #expect(fsck.status == 0, "\(fsck.output)")
        // Root's shell history is gone and the hostname is the generic one (generalize's default operations).
        #expect(try debugfs(root, "ls -l /root").contains(".bash_history") == false)
        #expect(try debugfs(root, "cat /etc/hostname") == "localhost.localdomain\n")
    }

    @Test func generalizeFollowsTheSeparateVarVolume() throws {
        let image = try LVMImages.rhel()
        let work = try TemporaryDirectory()
        let copy = try image.copy(to: work)
        let before = try image.metadataDigest(of: copy)
        let result = try CLI.run(["generalize", copy, "--only", "defaults,logs"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.output.contains("/var/log/messages"))
        #expect(try image.metadataDigest(of: copy) == before)
        // /var/log/messages lives on rootvg/varlv (mounted at /var by UUID=): deleted there.
        let varlv = work.file("varlv.img")
        try image.extract("rootvg/varlv", from: copy, into: varlv)
        let fsck = try Fixtures.fsck(varlv)
        #expect(fsck.status == 0, "\(fsck.output)")
        #expect(try debugfs(varlv, "ls -l /log").contains("messages") == false)
        #expect(try debugfs(varlv, "cat /lib/marker") == "var\n")
        // The root's own /var/log beneath the mount point is hidden from the guest and left alone.
        let rootlv = work.file("rootlv.img")
        try image.extract("rootvg/rootlv", from: copy, into: rootlv)
        #expect(try Fixtures.fsck(rootlv).status == 0)
        #expect(try debugfs(rootlv, "ls -l /var/log").contains("syslog"))
        #expect(try debugfs(rootlv, "cat /etc/hostname") == "localhost.localdomain\n")
    }

    @Test func partitionsAndCheckShowTheVolumes() throws {
        let image = try LVMImages.rhel()
        let json = try CLI.run(["partitions", image.path, "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try JSONSerialization.jsonObject(with: json.stdout) as! [String: Any]
        let groups = try #require(report["volumeGroups"] as? [[String: Any]])
        #expect(groups.map { $0["name"] as? String } == ["rootvg"])
        #expect(groups[0]["seqno"] as? Int == Int(image.groups["rootvg"]!.seqno))
        let volumes = groups[0]["logicalVolumes"] as! [[String: Any]]
        #expect(Set(volumes.compactMap { $0["path"] as? String }) == Set(image.segments.keys))
        let varlv = volumes.first { $0["name"] as? String == "varlv" }!
        #expect(varlv["stripes"] as? Int == 2)
        #expect((varlv["filesystem"] as? [String: Any])?["label"] as? String == "var")
        #expect((report["root"] as? [String: Any])?["volume"] as? String == "rootvg/rootlv")

        // info shows the same layout below the container facts.
        let info = try CLI.run(["info", image.path, "--json"])
        let layout = (try JSONSerialization.jsonObject(with: info.stdout) as! [String: Any])["layout"] as! [String: Any]
        #expect((layout["volumeGroups"] as? [[String: Any]])?.first?["uuid"] as? String == image.groups["rootvg"]!.uuid)
        #expect(try CLI.run(["info", image.path]).output.contains("rootvg/varlv"))

        let check = try CLI.run(["check", image.path, "--json"])
        let verdicts = try JSONSerialization.jsonObject(with: check.stdout) as! [String: Any]
        let lvm = (verdicts["results"] as! [[String: Any]]).first { $0["id"] as? String == "disk.lvm" }
        #expect(lvm?["verdict"] as? String == "pass", "\(String(describing: lvm))")
        #expect((lvm?["evidence"] as? String)?.contains("rootvg/rootlv (root) ext4") == true)
    }

    @Test func inspectResolvesFstabEntriesToLogicalVolumes() throws {
        let image = try LVMImages.rhel()
        let result = try CLI.run(["inspect", image.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
        let fstab = ((report["guest"] as! [String: Any])["fstab"] as! [[String: Any]])
        func entry(_ mountPoint: String) -> [String: Any]? { fstab.first { $0["mountPoint"] as? String == mountPoint } }
        #expect(entry("/")?["volume"] as? String == "rootvg/rootlv")  // /dev/mapper/rootvg-rootlv
        #expect(entry("/var")?["volume"] as? String == "rootvg/varlv")  // UUID=
        #expect(entry("/home")?["volume"] as? String == "rootvg/homelv")  // /dev/rootvg/homelv
        #expect(entry("/boot")?["partition"] as? Int == 1)  // LABEL=boot
        #expect(fstab.allSatisfy { $0["resolves"] as? Bool == true })
        let disk = report["disk"] as! [String: Any]
        #expect(disk["rootVolume"] as? String == "rootvg/rootlv")
        let volumes = disk["logicalVolumes"] as! [[String: Any]]
        let varlv = volumes.first { $0["path"] as? String == "rootvg/varlv" }
        #expect((varlv?["filesystem"] as? [String: Any])?["uuid"] as? String == LVMImages.rhelVarUUID)
        // device-mapper's UUID as lvs reports it (lv_dm_uuid is not in every lvm2: built from vg_uuid and lv_uuid).
        #expect(
            (varlv?["deviceMapperUUID"] as? String)?.hasPrefix(
                "LVM-" + image.groups["rootvg"]!.uuid.filter { $0 != "-" }) == true)
    }

    @Test func readOnlyCommandsWriteNothing() throws {
        let image = try LVMImages.rhel()
        let work = try TemporaryDirectory()
        let copy = try image.copy(to: work)
        let before = try FileDigest.sha256(copy)
        for arguments in [
            ["partitions", copy], ["info", copy], ["inspect", copy], ["check", copy],
            ["generalize", copy, "--dry-run"],
            ["ls", "--volume", "rootvg/homelv", copy, "/"], ["cat", copy, "/etc/fstab"],
        ] {
            let result = try CLI.run(arguments)
            #expect(result.status == 0 || arguments[0] == "check", "\(arguments): \(result.stderr)")
        }
        #expect(try FileDigest.sha256(copy) == before)
    }

    /// A copy of the unnamed image whose `sys/a` holds `/etc/fstab` with `fstab` (written with `debugfs -w` into
    /// the LV reassembled from lvs' map, then put back at the same extents).
    func unnamedCopy(fstabOnA fstab: String, in work: TemporaryDirectory) throws -> String {
        let image = try LVMImages.unnamed()
        let copy = try image.copy(to: work)
        let volume = work.file("a.img")
        try image.extract("sys/a", from: copy, into: volume)
        let file = work.file("fstab-a")
        try fstab.write(toFile: file, atomically: true, encoding: .utf8)
        let requests = work.file("requests")
        try "mkdir /etc\nwrite \(file) /etc/fstab\n".write(toFile: requests, atomically: true, encoding: .utf8)
        try ExternalTool.check(["debugfs", "-w", "-f", requests, volume])
        #expect(try debugfs(volume, "cat /etc/fstab") == fstab)
        #expect(try Fixtures.fsck(volume).status == 0)
        try LVMFixture.writeVolume(volume, into: copy, segments: image.segments["sys/a"]!)
        return copy
    }

    /// VG `sys` with LVs `a` (data) and `b`: only b's own fstab (`UUID=` of b at `/`) says which is the root;
    /// inspect says how it was chosen, and every command works in the same volume.
    @Test func rootChosenByItsOwnFstab() throws {
        let image = try LVMImages.unnamed()
        let inspect = try CLI.run(["inspect", image.path])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.output.contains("root logical volume sys/b"), "\(inspect.output)")
        #expect(inspect.output.contains("the only logical volume whose own /etc/fstab mounts it at / (line 1)"))
        let json =
            try JSONSerialization.jsonObject(with: try CLI.run(["inspect", image.path, "--json"]).stdout)
            as! [String: Any]
        let disk = json["disk"] as! [String: Any]
        #expect(disk["rootVolume"] as? String == "sys/b")
        #expect((disk["rootReason"] as? String)?.contains("own /etc/fstab") == true)
        #expect(try CLI.run(["partitions", image.path]).output.contains("Linux root: logical volume sys/b"))
        #expect(try CLI.run(["cat", image.path, "/etc/hostname"]).output == "unnamed-lvm\n")
        let fstab = (json["guest"] as! [String: Any])["fstab"] as! [[String: Any]]
        #expect(fstab.first { $0["mountPoint"] as? String == "/srv" }?["volume"] as? String == "sys/a")

        // A fstab on a that names b at / (a stale copy of b's) is no claim of a's: b is still the root.
        let work = try TemporaryDirectory()
        let stale = try unnamedCopy(fstabOnA: "UUID=\(LVMImages.unnamedRootUUID) / ext4 defaults 0 1\n", in: work)
        #expect(try CLI.run(["cat", stale, "/etc/hostname"]).output == "unnamed-lvm\n")
    }

    /// Both LVs' own fstabs mount themselves at `/`: no guess by order, an error naming both (and the way out).
    @Test func twoVolumesClaimingTheRootAreAmbiguous() throws {
        let work = try TemporaryDirectory()
        let copy = try unnamedCopy(fstabOnA: "# old root\n/dev/mapper/sys-a / ext4 defaults 0 1\n", in: work)
        let before = try FileDigest.sha256(copy)
        for command in [["inspect", copy], ["cat", copy, "/etc/hostname"], ["generalize", copy]] {
            let result = try CLI.run(command)
            #expect(result.status != 0, "\(command)")
            #expect(
                result.stderr.contains(
                    "several logical volumes mount themselves at / in their own /etc/fstab: sys/a (its /etc/fstab line 2); "
                        + "sys/b (its /etc/fstab line 1)"), "\(command): \(result.stderr)")
            #expect(result.stderr.contains("choose one with --volume VG/LV"))
        }
        #expect(try FileDigest.sha256(copy) == before)
        #expect(try CLI.run(["partitions", copy]).output.contains("several logical volumes mount themselves at /"))
        let chosen = try CLI.run(["inspect", copy, "--volume", "sys/a"])
        #expect(chosen.status == 0, "\(chosen.stderr)")
        #expect(chosen.output.contains("chosen with --volume sys/a"))
    }

    @Test func volumeArgumentErrors() throws {
        let image = try LVMImages.rhel()
        let both = try CLI.run(["ls", "--partition", "1", "--volume", "rootvg/rootlv", image.path, "/"])
        #expect(both.status == 64)
        #expect(both.stderr.contains("use --partition N or --volume VG/LV, not both"))
        let malformed = try CLI.run(["ls", "--volume", "rootlv", image.path, "/"])
        #expect(malformed.status == 64)
        let missing = try CLI.run(["ls", "--volume", "rootvg/nolv", image.path, "/"])
        #expect(missing.status != 0)
        #expect(
            missing.stderr.contains(
                "there is no logical volume rootvg/nolv; it holds rootvg/rootlv, rootvg/homelv, rootvg/varlv"))
    }
}
