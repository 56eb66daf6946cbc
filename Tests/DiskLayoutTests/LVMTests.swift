import BlockIO
import Foundation
import Testing
import _TestSupport

@testable import DiskLayout

/// Why the LVM tests that need real lvm2 cannot run here, for their `.enabled(if:)` trait.
let lvmUnavailable = LVMFixture.unavailableReason

/// Reads every byte of `device` (a logical volume) in 1 MiB reads.
func allBytes(_ device: any BlockDevice) throws -> Data {
    var data = Data(capacity: Int(device.size))
    var offset: UInt64 = 0
    while offset < device.size {
        let count = Int(min(1 << 20, device.size - offset))
        data += try device.read(at: offset, count: count)
        offset += UInt64(count)
    }
    return data
}

/// `blkid -p -o export FILE`, or of `size` bytes at `offset` of FILE.
func blkidValues(_ file: String, offset: UInt64? = nil, size: UInt64? = nil) throws -> [String: String] {
    var values: [String: String] = [:]
    let range = offset.map { ["-O", String($0)] } ?? []
    let limit = size.map { ["-S", String($0)] } ?? []
    for line in try ExternalTool.run(["blkid", "-p", "-o", "export"] + range + limit + [file]).output.split(
        separator: "\n")
    {
        guard let equals = line.firstIndex(of: "=") else { continue }
        values[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    return values
}

/// Volume groups made by real lvm2 (pvcreate, vgcreate, lvcreate, lvextend, vgchange on loop devices) read
/// back: the group, its PVs and LVs as `vgs`/`pvs`/`lvs` report them, and each LV's bytes equal to the bytes
/// reassembled from lvs' extent map.
@Suite(.enabled(if: lvmUnavailable == nil, "\(lvmUnavailable ?? "")")) struct LVMLayoutTests {
    /// Checks every LV of `image` against lvm's answer: size, segment count, stripes, bytes, libblkid's answer.
    func checkVolumes(_ image: LVMImage, _ disk: PartitionedDisk, work: TemporaryDirectory) throws {
        let names = Set(disk.lvm.logicalVolumes.map(\.name.description))
        #expect(names == Set(image.segments.keys))
        for lv in disk.lvm.logicalVolumes {
            let segments = image.segments[lv.name.description]!
            #expect(lv.entry.segments.count == segments.count, "\(lv.name)")
            #expect(lv.size == segments.reduce(0) { $0 + $1.length }, "\(lv.name)")
            #expect(lv.segmentTypes == Array(Set(segments.map(\.type))).sorted(), "\(lv.name)")
            let device = try #require(lv.device, "\(lv.name): \(lv.openError?.description ?? "")")
            let file = work.file(lv.name.volume + ".lv")
            try image.extract(lv.name.description, from: image.path, into: file)
            #expect(try allBytes(device) == (try Data(contentsOf: URL(fileURLWithPath: file))), "\(lv.name)")
            let blkid = try blkidValues(file)
            let volume = try #require(disk.logicalVolume(lv.name))
            #expect(volume.signature?.type == blkid["TYPE"], "\(lv.name)")
            #expect(volume.signature?.uuid == blkid["UUID"], "\(lv.name)")
        }
        for group in disk.lvm.groups {
            #expect(group.metadata.seqno == image.groups[group.name]!.seqno)
            #expect(group.metadata.id == image.groups[group.name]!.uuid)
        }
        #expect(Set(disk.lvm.physicalVolumes.map(\.uuid)) == Set(image.physicalVolumeUUIDs))
        // Each PV's own probe (libblkid shown the PV only up to its first extent) answers what blkid answers
        // for the whole PV.
        for pv in disk.lvm.physicalVolumes {
            let volume = try #require(disk.volumes.first { $0.displayName == pv.location })
            let blkid = try blkidValues(image.path, offset: volume.start, size: volume.size)
            #expect(blkid["TYPE"] == "LVM2_member")
            #expect(volume.signature?.type == blkid["TYPE"], "\(pv.location)")
            #expect(volume.signature?.uuid == blkid["UUID"], "\(pv.location)")
        }
    }

    @Test func ubuntuRootOnALogicalVolume() throws {
        let image = try LVMImages.ubuntu()
        let work = try TemporaryDirectory()
        let disk = try PartitionedDisk.inspect(DiskImage.open(path: image.path).device)
        #expect(disk.lvm.groups.map(\.name) == ["ubuntu-vg"])
        #expect(disk.lvm.physicalVolumes.map(\.location) == ["partition 2"])
        try checkVolumes(image, disk, work: work)
        // The PV's probe window stops at its first extent (pvs -o pe_start): the LV's bytes are probed once, as the LV.
        let pv = try #require(disk.volume(number: 2)?.device)
        let first = try pv.read(at: 0, count: 2048)
        let peStart = image.metadataRanges[0].length
        #expect(try PhysicalVolume.dataStart(inFirstSectors: first) == peStart)
        let windows = ProbeWindows(volumeSize: pv.size, bootSector: Array(first.prefix(512)), headBytes: peStart)
        #expect(windows.ranges.first == 0..<peStart)
        #expect(
            try PhysicalVolume.dataStart(inFirstSectors: try disk.volume(number: 1)!.device!.read(at: 0, count: 2048))
                == nil)
        // The unlabelled ext4 /boot partition and the LV are both candidates: the LV's name decides.
        let root = try RootSelector.select(in: disk)
        #expect(root.volume.logicalVolume?.description == "ubuntu-vg/ubuntu-lv")
        #expect(root.reason.contains("named like a root"))
        #expect(LogicalVolumeName(group: "ubuntu-vg", volume: "ubuntu-lv").mapperName == "ubuntu--vg-ubuntu--lv")
        let report = DiskLayoutReport(disk)
        #expect(report.root?.volume == "ubuntu-vg/ubuntu-lv")
        #expect(report.text.contains("Linux root: logical volume ubuntu-vg/ubuntu-lv"))
    }

    @Test func rhelRootVGWithTwoSegmentsAndAStripedVolume() throws {
        let image = try LVMImages.rhel()
        let work = try TemporaryDirectory()
        let disk = try PartitionedDisk.inspect(DiskImage.open(path: image.path).device)
        #expect(disk.lvm.physicalVolumes.map(\.location) == ["partition 2", "partition 3"])
        #expect(image.segments["rootvg/rootlv"]!.count == 2)
        #expect(image.segments["rootvg/varlv"]!.first?.stripeStarts.count == 2)
        try checkVolumes(image, disk, work: work)
        let root = try RootSelector.select(in: disk)
        #expect(root.volume.logicalVolume?.description == "rootvg/rootlv")
        let chosen = try RootSelector.select(in: disk, volume: LogicalVolumeName("rootvg/varlv"))
        #expect(chosen.reason == "chosen with --volume rootvg/varlv")
        #expect(chosen.volume.signature?.label == "var")
        #expect(throws: DiskLayoutError.self) {
            try RootSelector.select(in: disk, volume: LogicalVolumeName("rootvg/nolv"))
        }
    }

    @Test func wholeDiskPVWithWrappedMetadata() throws {
        let image = try LVMImages.wholeDisk()
        let work = try TemporaryDirectory()
        // The fixture's committed copy really wraps: raw_locn offset + size passes the area's end (read with
        // Python's struct, not our parser).
        let wraps = try ExternalTool.check([
            "python3", "-c",
            "import struct,sys;f=open(sys.argv[1],'rb');f.seek(4096);h=f.read(512);"
                + "s,z=struct.unpack('<QQ',h[24:40]);o,n=struct.unpack('<QQ',h[40:56]);print(o+n>z)",
            image.path,
        ]).output
        #expect(wraps == "True\n")
        let disk = try PartitionedDisk.inspect(DiskImage.open(path: image.path).device)
        #expect(disk.table.kind == .unpartitioned)
        #expect(disk.lvm.physicalVolumes.map(\.location) == ["the whole disk"])
        try checkVolumes(image, disk, work: work)
        #expect(try RootSelector.select(in: disk).volume.logicalVolume?.description == "datavg/root")
    }

    /// sys/a and sys/b: no name says which is the root, so the LVs' own fstabs are asked (rule 4b); here the
    /// answers come from a stand-in probe (ImagePrep's reads the files: LVMCommandTests).
    @Test func rootByItsOwnFstabAsksOnlyWhenNamesDoNotDecide() throws {
        let disk = try PartitionedDisk.inspect(DiskImage.open(path: try LVMImages.unnamed().path).device)
        #expect(disk.logicalVolumes.map { $0.logicalVolume!.description } == ["sys/a", "sys/b"])
        #expect(disk.logicalVolumes.allSatisfy { $0.signature?.type == "ext4" })
        do throws(DiskLayoutError) {
            let root = try RootSelector.select(in: disk)
            Issue.record("chose \(root.volume.displayName) without reading any fstab")
        } catch {
            #expect(error.code == .ambiguousRoot)
            #expect(error.message.contains("logical volume sys/a") && error.message.contains("logical volume sys/b"))
        }
        var asked: [String] = []
        let root = try RootSelector.select(in: disk) { volume, _ in
            asked.append(volume.logicalVolume!.description)
            return volume.logicalVolume?.volume == "b" ? 3 : nil
        }
        #expect(root.volume.logicalVolume?.description == "sys/b")
        #expect(root.reason == "the only logical volume whose own /etc/fstab mounts it at / (line 3)")
        #expect(asked == ["sys/a", "sys/b"])
        // Both claim: an error naming each with its line, not the first by order.
        do throws(DiskLayoutError) {
            let chosen = try RootSelector.select(in: disk) { volume, _ in volume.logicalVolume?.volume == "a" ? 1 : 2 }
            Issue.record("chose \(chosen.volume.displayName)")
        } catch {
            #expect(error.code == .ambiguousRoot)
            #expect(
                error.message.contains("sys/a (its /etc/fstab line 1); sys/b (its /etc/fstab line 2)"),
                "\(error.message)")
            #expect(error.message.contains("--volume VG/LV"))
        }
        // --volume still decides without asking anything.
        let explicit = try RootSelector.select(in: disk, volume: LogicalVolumeName("sys/a")) { _, _ in
            Issue.record("asked with --volume")
            return nil
        }
        #expect(explicit.volume.logicalVolume?.volume == "a")
        // A name that decides is never second-guessed by reading files.
        let ubuntu = try PartitionedDisk.inspect(DiskImage.open(path: try LVMImages.ubuntu().path).device)
        let named = try RootSelector.select(in: ubuntu) { _, _ in
            Issue.record("asked although the name decides")
            return nil
        }
        #expect(named.volume.logicalVolume?.description == "ubuntu-vg/ubuntu-lv")
    }

    /// Rule 4b reads at most `maximumFstabProbes` filesystems: with more ext LVs left it asks none and the
    /// answer is the ambiguous-root error, not the first claim found.
    @Test func fstabQuestionsAreBounded() throws {
        let disk = try PartitionedDisk.inspect(DiskImage.open(path: try LVMImages.unnamed().path).device)
        let template = try #require(disk.logicalVolumes.last)
        func crowded(_ count: Int) -> PartitionedDisk {
            let volumes = (0..<count).map { index in
                Volume(
                    partition: nil, device: template.device, filesystem: template.filesystem,
                    logicalVolume: LogicalVolumeName(group: "sys", volume: "v\(index)"))
            }
            return PartitionedDisk(
                device: disk.device, table: disk.table, volumes: disk.volumes, warnings: [], lvm: disk.lvm,
                logicalVolumes: volumes)
        }
        var asked = 0
        let limit = RootSelector.maximumFstabProbes
        let chosen = try RootSelector.select(in: crowded(limit)) { volume, _ in
            asked += 1
            return volume.logicalVolume?.volume == "v\(limit - 1)" ? 1 : nil
        }
        #expect(asked == limit)
        #expect(chosen.volume.logicalVolume?.volume == "v\(limit - 1)")
        asked = 0
        do throws(DiskLayoutError) {
            let root = try RootSelector.select(in: crowded(limit + 1)) { _, _ in
                asked += 1
                return 1
            }
            Issue.record("chose \(root.volume.displayName)")
        } catch {
            #expect(error.code == .ambiguousRoot)
        }
        #expect(asked == 0)
    }
}

/// Metadata changed on purpose in copies of the lvm2-made images (checksums recomputed with Python's zlib so
/// that only the change under test is wrong): every case is a typed error naming what is wrong.
@Suite(.enabled(if: lvmUnavailable == nil, "\(lvmUnavailable ?? "")")) struct HostileLVMTests {
    /// The committed metadata text of the PV at `pvOffset` (its metadata area at 4 KiB, as pvcreate puts it).
    static func metadataText(_ image: String, pvOffset: UInt64) throws -> String {
        try ExternalTool.check(["python3", "-c", python + "print(read(), end='')", image, String(pvOffset)]).output
    }

    /// Writes `text` as the committed copy of the PV at `pvOffset`, right after the area header, with its
    /// checksum and the header's recomputed.
    static func rewrite(_ image: String, pvOffset: UInt64, text: String, corruptChecksum: Bool = false) throws {
        try ExternalTool.check(
            [
                "python3", "-c", python + "write(sys.stdin.buffer.read(), \(corruptChecksum ? "True" : "False"))",
                image,
                String(pvOffset),
            ], stdin: Data(text.utf8))
    }

    static let python = """
        import sys, struct, binascii
        path, pv = sys.argv[1], int(sys.argv[2])
        area = pv + 4096
        def crc(b): return binascii.crc32(b, 0xf597a6cf ^ 0xffffffff) ^ 0xffffffff
        def read():
            f = open(path, 'rb'); f.seek(area); h = f.read(512)
            size = struct.unpack('<Q', h[32:40])[0]; o, n = struct.unpack('<QQ', h[40:56])
            f.seek(area + o); t = f.read(min(n, size - o))
            if len(t) < n: f.seek(area + 512); t += f.read(n - len(t))
            return t.rstrip(b'\\0').decode()
        def write(text, bad):
            f = open(path, 'r+b'); f.seek(area); h = bytearray(f.read(512))
            text = text + b'\\0'
            f.seek(area + 512); f.write(text)
            struct.pack_into('<QQII', h, 40, 512, len(text), crc(text) ^ (1 if bad else 0), 0)
            struct.pack_into('<QQII', h, 64, 0, 0, 0, 0)
            struct.pack_into('<I', h, 0, crc(bytes(h[4:])))
            f.seek(area); f.write(h)

        """

    /// A copy of the Ubuntu image whose metadata text is `edit(text)`; its layout read back.
    func ubuntu(_ edit: (String) -> String, corruptChecksum: Bool = false) throws -> PartitionedDisk {
        let image = try LVMImages.ubuntu()
        let work = try TemporaryDirectory()
        let copy = try image.copy(to: work)
        let pv = image.metadataRanges[0].offset
        let text = try Self.metadataText(copy, pvOffset: pv)
        try Self.rewrite(copy, pvOffset: pv, text: edit(text), corruptChecksum: corruptChecksum)
        return try PartitionedDisk.inspect(DiskImage.open(path: copy).device)
    }

    func onlyProblem(_ disk: PartitionedDisk) -> DiskLayoutError? {
        #expect(disk.lvm.problems.count == 1)
        #expect(disk.warnings.contains { $0.code == .lvmUnreadable })
        return disk.lvm.problems.first?.error
    }

    @Test func unchangedTextReadsTheSame() throws {
        let disk = try ubuntu { $0 }
        #expect(disk.lvm.problems.isEmpty)
        #expect(disk.lvm.logicalVolumes.map(\.name.description) == ["ubuntu-vg/ubuntu-lv"])
    }

    @Test func badChecksum() throws {
        let disk = try ubuntu({ $0 }, corruptChecksum: true)
        let error = try #require(onlyProblem(disk))
        #expect(error.code == .checksumMismatch)
        #expect(error.field == "raw_locns[0].checksum")
        #expect(disk.lvm.groups.isEmpty)
        // No root is guessed: the /boot partition is not taken for the root while LVM cannot be read.
        do throws(DiskLayoutError) {
            let root = try RootSelector.select(in: disk)
            Issue.record("chose \(root.volume.displayName)")
        } catch {
            #expect(error.code == .noRootCandidate)
            #expect(error.message.contains("LVM metadata on partition 2"), "\(error.message)")
        }
        #expect(try RootSelector.select(in: disk, partition: 1).volume.number == 1)
    }

    /// A copy of the Ubuntu image with the first 8 KiB of its PV (label, PV header, metadata area header)
    /// changed by `change`, read back.
    func ubuntuHead(_ change: (inout [UInt8]) -> Void) throws -> PartitionedDisk {
        let image = try LVMImages.ubuntu()
        let work = try TemporaryDirectory()
        let copy = try image.copy(to: work)
        let pv = image.metadataRanges[0].offset
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: copy))
        defer { try? handle.close() }
        try handle.seek(toOffset: pv)
        var head = [UInt8](try handle.read(upToCount: 8192) ?? Data())
        change(&head)
        try handle.seek(toOffset: pv)
        try handle.write(contentsOf: Data(head))
        return try PartitionedDisk.inspect(DiskImage.open(path: copy).device)
    }

    /// One byte changed, checksums left as they were: in the PV label sector, in the metadata area header, and
    /// the area header's magic. Each is a typed error naming the structure's field and its offset on the PV; the
    /// group is not opened and no root is guessed.
    @Test func damagedLabelAndMetadataAreaHeader() throws {
        let intact = try PartitionedDisk.inspect(DiskImage.open(path: try LVMImages.ubuntu().path).device)
        let pv = try #require(intact.lvm.physicalVolumes.first)
        let area = try #require(pv.header.metadataAreas.first).offset
        // Where pvcreate put LABELONE (one of the first four sectors; sector 1 by default).
        let labelOffset = Int(pv.label.sector) * 512
        let first = try #require(intact.volume(number: 2)?.device).read(at: 0, count: 2048)
        #expect(Array(first[labelOffset..<labelOffset + 8]) == Array("LABELONE".utf8))
        let cases: [(change: (inout [UInt8]) -> Void, code: DiskLayoutError.Code, field: String, offset: UInt64)] = [
            ({ $0[labelOffset + 100] ^= 0x01 }, .checksumMismatch, "crc_xl", UInt64(labelOffset + 16)),
            ({ $0[Int(area) + 300] ^= 0x01 }, .checksumMismatch, "checksum_xl", area),
            ({ $0[Int(area) + 5] ^= 0x20 }, .badSignature, "magic", area + 4),
        ]
        for (change, code, field, offset) in cases {
            let disk = try ubuntuHead(change)
            let error = try #require(onlyProblem(disk))
            #expect(error.code == code, "\(error)")
            #expect(error.field == field, "\(error)")
            #expect(error.offset == offset, "\(error)")
            #expect(disk.lvm.problems.first?.location == "partition 2")
            #expect(disk.lvm.groups.isEmpty)
            #expect(throws: DiskLayoutError.self) { try RootSelector.select(in: disk) }
        }
    }

    @Test func unbalancedBraces() throws {
        let error = try #require(
            onlyProblem(try ubuntu { $0.replacingOccurrences(of: "physical_volumes {", with: "physical_volumes {{") }))
        #expect(error.code == .lvmMetadata)
        #expect(error.message.contains("line"))
    }

    @Test func hugeNumbers() throws {
        let disk = try ubuntu { $0.replacingOccurrences(of: "seqno = ", with: "seqno = 99999999999999999999") }
        let error = try #require(onlyProblem(disk))
        #expect(error.message.contains("does not fit in 64 bits"))
        // Numbers that fit alone but overflow once multiplied by the extent size.
        let overflow = try ubuntu { $0.replacing(/pe_count = [0-9]+/, with: "pe_count = 9223372036854775807") }
        #expect(try #require(onlyProblem(overflow)).field == "pe_count")
        // An extent size that makes the LV end past its PV: the LV is refused, the group still read.
        let large = try ubuntu {
            $0.replacingOccurrences(of: "extent_size = 8192", with: "extent_size = 1099511627776")
        }
        #expect(large.lvm.problems.isEmpty)
        #expect(
            large.logicalVolumes.first?.openError?.message.contains("maps past the end of a physical volume") == true)
    }

    @Test func segmentPastThePVEnd() throws {
        let disk = try ubuntu { text in
            text.replacingOccurrences(of: "\"pv0\", 0", with: "\"pv0\", 9")
        }
        let error = try #require(onlyProblem(disk))
        #expect(error.message.contains("run past the end of pv0"))
    }

    @Test func overlappingExtents() throws {
        // A second LV given the same extents as ubuntu-lv.
        let disk = try ubuntu { text in
            guard let range = text.range(of: "ubuntu-lv {") else { return text }
            let copy =
                "twin {\nid = \"x\"\nstatus = [\"READ\", \"VISIBLE\"]\nsegment1 {\nstart_extent = 0\nextent_count = 1\n"
                + "type = \"striped\"\nstripe_count = 1\nstripes = [\"pv0\", 3]\n}\n}\n"
            return text.replacingCharacters(in: range.lowerBound..<range.lowerBound, with: copy)
        }
        let error = try #require(onlyProblem(disk))
        #expect(error.message.contains("also given to logical volume twin"))
    }

    @Test func missingPhysicalVolumeIsNamed() throws {
        let missing = "AAAAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGGGG"
        let disk = try ubuntu { text in
            let pv1 =
                "pv1 {\nid = \"\(missing)\"\ndevice = \"/dev/sdb\"\nstatus = [\"ALLOCATABLE\"]\npe_start = 2048\npe_count = 100\n}\n"
            return text.replacingOccurrences(of: "physical_volumes {", with: "physical_volumes {\n" + pv1)
                .replacingOccurrences(of: "\"pv0\", 0", with: "\"pv1\", 0")
        }
        #expect(disk.lvm.problems.isEmpty)
        let volume = try #require(disk.logicalVolume(LogicalVolumeName("ubuntu-vg/ubuntu-lv")!))
        #expect(volume.device == nil)
        #expect(volume.openError?.code == .lvmMissingPhysicalVolume)
        #expect(volume.openError?.message.contains(missing) == true)
        #expect(DiskLayoutReport(disk).volumeGroups?.first?.missingPhysicalVolumes == [missing])
        #expect(throws: DiskLayoutError.self) {
            try RootSelector.select(in: disk, volume: LogicalVolumeName("ubuntu-vg/ubuntu-lv"))
        }
    }

    @Test(arguments: ["thin", "raid1", "mirror", "cache", "vdo"]) func refusedSegmentTypes(_ type: String) throws {
        let disk = try ubuntu { $0.replacingOccurrences(of: "type = \"striped\"", with: "type = \"\(type)\"") }
        let volume = try #require(disk.logicalVolumes.first)
        #expect(volume.device == nil)
        #expect(volume.openError?.code == .lvmUnsupportedVolume)
        #expect(volume.openError?.message.contains("a \(type) segment") == true)
        #expect(
            DiskLayoutReport(disk).text.contains("not opened: logical volume ubuntu-vg/ubuntu-lv has a \(type) segment")
        )
    }

    @Test func snapshotCOWIsRefusedAndItsOriginReads() throws {
        let disk = try ubuntu { text in
            guard let range = text.range(of: "ubuntu-lv {") else { return text }
            let cow =
                "snap {\nid = \"c\"\nstatus = [\"READ\", \"VISIBLE\"]\nsegment1 {\nstart_extent = 0\nextent_count = 1\n"
                + "type = \"striped\"\nstripe_count = 1\nstripes = [\"pv0\", 12]\n}\n}\n"
                + "snapshot0 {\nid = \"s\"\nstatus = [\"READ\"]\nsegment1 {\nstart_extent = 0\nextent_count = 10\n"
                + "type = \"snapshot\"\nchunk_size = 8\norigin = \"ubuntu-lv\"\ncow_store = \"snap\"\n}\n}\n"
            return text.replacingCharacters(in: range.lowerBound..<range.lowerBound, with: cow)
        }
        #expect(disk.lvm.problems.isEmpty)
        let snap = try #require(disk.logicalVolume(LogicalVolumeName("ubuntu-vg/snap")!))
        #expect(snap.openError?.code == .lvmUnsupportedVolume)
        #expect(snap.openError?.message.contains("copy-on-write store of a snapshot of ubuntu-vg/ubuntu-lv") == true)
        #expect(disk.logicalVolume(LogicalVolumeName("ubuntu-vg/ubuntu-lv")!)?.device != nil)
        #expect(disk.logicalVolume(LogicalVolumeName("ubuntu-vg/snapshot0")!) == nil)  // hidden
    }

    @Test func stripesThatAreNotWholeChunksAreRefused() throws {
        let image = try LVMImages.rhel()
        let work = try TemporaryDirectory()
        let copy = try image.copy(to: work)
        // Both PVs carry the group's metadata: the same change in both, so neither copy is newer.
        for range in image.metadataRanges {
            let text = try Self.metadataText(copy, pvOffset: range.offset)
            try Self.rewrite(
                copy, pvOffset: range.offset,
                text: text.replacingOccurrences(of: "stripe_size = 128", with: "stripe_size = 3"))
        }
        let disk = try PartitionedDisk.inspect(DiskImage.open(path: copy).device)
        #expect(disk.lvm.problems.count == 2)
        #expect(
            disk.lvm.problems.allSatisfy {
                $0.error.field == "stripe_size" && $0.error.message.contains("3-sector chunks")
            })
    }

    /// References that would loop if followed: a stripe naming an LV (itself) instead of a PV, and a snapshot
    /// whose origin and COW store are the same LV. Nothing is followed recursively, so neither can hang.
    @Test func referencesThatLoopAreRefused() throws {
        let selfStripe = try ubuntu { $0.replacingOccurrences(of: "\"pv0\", 0", with: "\"ubuntu-lv\", 0") }
        let error = try #require(onlyProblem(selfStripe))
        #expect(error.message.contains("names ubuntu-lv, which is not a physical volume of the group"))
        let selfSnapshot = try ubuntu { text in
            guard let range = text.range(of: "ubuntu-lv {") else { return text }
            let loop =
                "snapshot0 {\nid = \"s\"\nstatus = [\"READ\"]\nsegment1 {\nstart_extent = 0\nextent_count = 1\n"
                + "type = \"snapshot\"\norigin = \"ubuntu-lv\"\ncow_store = \"ubuntu-lv\"\n}\n}\n"
            return text.replacingCharacters(in: range.lowerBound..<range.lowerBound, with: loop)
        }
        let lv = try #require(selfSnapshot.logicalVolume(LogicalVolumeName("ubuntu-vg/ubuntu-lv")!))
        #expect(lv.openError?.code == .lvmUnsupportedVolume)
    }

    @Test func copiesThatDisagreeWithoutANewestOneOpenNothing() throws {
        let image = try LVMImages.rhel()
        let work = try TemporaryDirectory()
        let copy = try image.copy(to: work)
        let second = image.metadataRanges[1].offset
        let text = try Self.metadataText(copy, pvOffset: second)
        try Self.rewrite(copy, pvOffset: second, text: text.replacingOccurrences(of: "homelv {", with: "otherlv {"))
        let disk = try PartitionedDisk.inspect(DiskImage.open(path: copy).device)
        let error = try #require(onlyProblem(disk))
        #expect(error.code == .lvmMetadataConflict)
        #expect(disk.lvm.groups.isEmpty)
        // A newer copy on one PV wins over an older one on the other.
        let newer = text.replacingOccurrences(of: "homelv {", with: "otherlv {").replacingOccurrences(
            of: "seqno = \(image.groups["rootvg"]!.seqno)\n", with: "seqno = \(image.groups["rootvg"]!.seqno + 1)\n")
        try Self.rewrite(copy, pvOffset: second, text: newer)
        let resolved = try PartitionedDisk.inspect(DiskImage.open(path: copy).device)
        #expect(resolved.lvm.problems.isEmpty)
        #expect(resolved.lvm.logicalVolumes.map(\.name.volume).contains("otherlv"))
    }
}

/// The metadata text grammar on its own (pure: bytes in, tree or typed error out).
@Suite struct LVMConfigTextTests {
    func parse(_ text: String) throws -> LVMConfigSection { try LVMConfigText.parse(Array(text.utf8)) }

    @Test func valuesArraysSectionsEscapesAndComments() throws {
        let tree = try parse(
            """
            # comment
            vg {   id = "a\\"b\\\\c" # trailing
            seqno = 7
            neg = -3
            real = 1.5
            list = ["x", 1, ]
            empty = []
            physical_volumes { pv0 { pe_count = 10 } }
            }
            version = 1
            """)
        let vg = try #require(tree.section("vg"))
        #expect(vg.value("id") == .string("a\"b\\c"))
        #expect(vg.value("seqno") == .integer(7))
        #expect(vg.value("neg") == .integer(-3))
        #expect(vg.value("real") == .real(1.5))
        #expect(vg.value("list") == .array([.string("x"), .integer(1)]))
        #expect(vg.value("empty") == .array([]))
        #expect(vg.section("physical_volumes")?.section("pv0")?.value("pe_count") == .integer(10))
        #expect(tree.value("version") == .integer(1))
    }

    @Test(arguments: [
        ("vg {", "a '}' is missing"), ("}", "closes no section"), ("a = \"open", "not closed"),
        ("a = 9223372036854775808", "does not fit in 64 bits"), ("a = 1x", "is not a number"),
        ("a = [1 2]", "',' or ']' expected"), ("a = word", "neither a quoted string nor a number"),
        ("a b", "'=' or '{' expected"), ("= 1", "where a name was expected"), ("a = ", "ends where a value"),
        ("a = \"x\\", "ends in an escape"),
    ])
    func malformedTextIsATypedError(_ text: String, _ expected: String) throws {
        do throws(DiskLayoutError) {
            _ = try LVMConfigText.parse(Array(text.utf8))
            Issue.record("parsed: \(text)")
        } catch {
            #expect(error.code == .lvmMetadata)
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test func depthAndExtremeNumbersAreBounded() throws {
        let deep = String(repeating: "s {", count: 40) + String(repeating: "}", count: 40)
        #expect(throws: DiskLayoutError.self) { try parse(deep) }
        let ok = String(repeating: "s {", count: 32) + String(repeating: "}", count: 32)
        #expect(throws: Never.self) { try parse(ok) }
        #expect(try parse("a = -9223372036854775808").value("a") == .integer(Int64.min))
        #expect(try parse("a = 9223372036854775807").value("a") == .integer(Int64.max))
    }

    @Test func checksumIsLVMsCalcCRC() {
        // zlib's crc32 with lvm's initial value and without the final XOR (Python: binascii.crc32(b"abc",
        // 0xf597a6cf ^ 0xffffffff) ^ 0xffffffff).
        let expected = try? ExternalTool.check([
            "python3", "-c",
            "import binascii;print(binascii.crc32(b'LVM2 metadata', 0xf597a6cf ^ 0xffffffff) ^ 0xffffffff)",
        ]).output
        #expect(expected == "\(LVMChecksum.checksum(Array("LVM2 metadata".utf8)))\n")
    }
}

/// Guest device paths that name logical volumes, with device-mapper's escaping of dashes.
@Suite struct LogicalVolumeNameTests {
    @Test(arguments: [
        ("/dev/mapper/ubuntu--vg-ubuntu--lv", "ubuntu-vg/ubuntu-lv"), ("/dev/mapper/rootvg-rootlv", "rootvg/rootlv"),
        ("/dev/mapper/a---b--c", "a-/b-c"), ("/dev/rootvg/varlv", "rootvg/varlv"),
        ("/dev/ubuntu-vg/ubuntu-lv", "ubuntu-vg/ubuntu-lv"),
    ])
    func namesAVolume(_ path: String, _ expected: String) {
        #expect(LogicalVolumeName(devicePath: path)?.description == expected)
        // And back: the mapper name doubles each dash.
        if path.hasPrefix("/dev/mapper/") {
            #expect("/dev/mapper/" + (LogicalVolumeName(devicePath: path)?.mapperName ?? "") == path)
        }
    }

    @Test(arguments: [
        "/dev/sda2", "/dev/mapper/justone", "/dev/mapper/a-b-c", "/dev/disk/by-uuid", "/dev/mapper/-x", "/dev/a/b/c",
        "/dev/mapper/vg-", "/etc/fstab",
    ])
    func namesNoVolume(_ path: String) {
        #expect(LogicalVolumeName(devicePath: path) == nil)
    }
}
