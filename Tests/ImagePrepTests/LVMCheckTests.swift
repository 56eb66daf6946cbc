import ImagePrep
import Testing

/// The `disk.lvm` verdict from the disk facts the layout reader hands over.
@Suite struct LVMCheckTests {
    func facts(_ volumes: [LogicalVolumeFacts]?, problems: [String]? = nil) -> DiskFacts {
        var facts = DiskFacts(
            format: "raw", virtualSize: 1 << 30, fileLength: 1 << 30, partitionTable: "gpt",
            partitions: [
                PartitionFacts(number: 1, start: 1 << 20, size: 1 << 28, typeName: "Linux"),
                PartitionFacts(number: 2, start: 1 << 28, size: 1 << 29, typeName: "Linux LVM", isLVM: true),
            ], rootPartition: nil)
        facts.rootVolume = "rootvg/rootlv"
        facts.logicalVolumes = volumes
        facts.lvmProblems = problems
        return facts
    }

    let root = LogicalVolumeFacts(
        path: "rootvg/rootlv", group: "rootvg", name: "rootlv", mapperName: "rootvg-rootlv", size: 1 << 28,
        filesystem: FilesystemIdentity(type: "ext4"))

    @Test func everyVolumeOpens() {
        let result = ReadinessChecker.lvmResult(facts([root], problems: []))
        #expect(result.verdict == .pass)
        #expect(result.evidence.contains("rootvg/rootlv (root) ext4"))
    }

    @Test func aThinVolumeIsAWarningAndAMissingPVAFailure() {
        var thin = root
        thin.path = "rootvg/pool"
        thin.refused = "logical volume rootvg/pool has a thin-pool segment (a thin pool)"
        #expect(ReadinessChecker.lvmResult(facts([root, thin], problems: [])).verdict == .warn)
        var spread = root
        spread.path = "rootvg/data"
        spread.refused = "logical volume rootvg/data has extents on physical volume X, which is not in this image"
        let missing = ReadinessChecker.lvmResult(facts([root, spread], problems: []))
        #expect(missing.verdict == .fail)
        #expect(missing.evidence.contains("not in this image"))
        #expect(ReadinessChecker.lvmResult(facts([root], problems: ["partition 2: checksum"])).verdict == .fail)
    }

    @Test func noLVMPasses() {
        var plain = facts(nil)
        plain.partitions.removeLast()
        #expect(ReadinessChecker.lvmResult(plain).evidence == "no LVM")
        #expect(ReadinessChecker.lvmResult(plain).verdict == .pass)
    }
}

/// Paths routed to the filesystem mounted at their longest mount point.
@Suite struct MountedGuestFilesTests {
    @Test func pathsGoToTheirMount() throws {
        let root = MemoryGuestFiles(["/etc/hostname": "h\n", "/var/log/hidden": "root's\n"])
        let variable = MemoryGuestFiles(["/log/messages": "var\n"])
        let logs = MemoryGuestFiles(["/audit.log": "audit\n"])
        let files = MountedGuestFiles(root: root, mounts: [("/var", variable), ("/var/log/audit", logs)])
        #expect(try files.readText("/etc/hostname") == "h\n")
        #expect(try files.readText("/var/log/messages") == "var\n")
        #expect(try files.readText("/var/log/hidden") == nil)
        #expect(try files.readText("/var/log/audit/audit.log") == "audit\n")
        #expect(try files.readText("/variable") == nil)  // a prefix of a name is not a mount
        try files.writeFile("/var/log/new", contents: Array("n".utf8), newFileMode: 0o644)
        #expect(try variable.readText("/log/new") == "n")
        try files.removeFile("/var/log/messages")
        #expect(try variable.exists("/log/messages") == false)
        #expect(throws: ImagePrepError.self) { try files.removeTree("/var") }
    }
}
