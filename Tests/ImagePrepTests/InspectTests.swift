import Foundation
import ImagePrep
import Testing
import _TestSupport

@Suite struct InspectTests {
    struct Expected: Sendable, CustomStringConvertible {
        var name: String, id: String, version: String, family: Distribution.Family
        var bootloaders: [BootloaderFile.Kind], network: [String], agent: String, cloudInit: String?
        var systemd: Bool, networkManager: Bool, table: String
        var description: String { name }
    }

    static let cases: [Expected] = [
        Expected(
            name: "centos6", id: "centos", version: "6.10", family: .rhel, bootloaders: [.grubLegacy],
            network: ["ifcfg"],
            agent: "2.2.45", cloudInit: nil, systemd: false, networkManager: false, table: "mbr"),
        Expected(
            name: "ubuntu1204", id: "ubuntu", version: "12.04", family: .debian, bootloaders: [.grub2Config],
            network: ["ifupdown"],
            agent: "2.2.10", cloudInit: nil, systemd: false, networkManager: true, table: "mbr"),
        Expected(
            name: "ubuntu1804", id: "ubuntu", version: "18.04", family: .debian, bootloaders: [.grub2Config],
            network: ["netplan"],
            agent: "2.2.45", cloudInit: "20.1", systemd: true, networkManager: false, table: "gpt"),
        Expected(
            name: "sles11", id: "sles", version: "11.4", family: .suse, bootloaders: [.grubLegacy], network: ["ifcfg"],
            agent: "2.2.49", cloudInit: nil, systemd: false, networkManager: false, table: "mbr"),
    ]

    @Test(arguments: cases)
    func inspectJSON(_ expected: Expected) throws {
        let image = try TestImageFarm.folder() + "/\(expected.name)-dynamic.vhd"
        let result = try VHDEditBinary.run(["inspect", "--json", image])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONDecoder().decode(ImagePreparation.InspectReport.self, from: result.stdout)
        let guest = report.guest
        #expect(guest.distribution.id == expected.id && guest.distribution.version == expected.version)
        #expect(guest.distribution.family == expected.family)
        #expect(guest.architecture?.machine == "x86_64" && guest.architecture?.bits == 64)
        #expect(guest.bootloaders == expected.bootloaders)
        #expect(guest.networkStyles == expected.network)
        #expect(guest.agent("WALinuxAgent")?.version == expected.agent)
        #expect(guest.agent("cloud-init")?.version == expected.cloudInit)
        #expect(guest.systemd == expected.systemd && guest.networkManagerInstalled == expected.networkManager)
        #expect(guest.provisionedUser == "azureuser")
        // fstab's root UUID resolves to the partition blkid identifies (sfdisk/sgdisk made it partition 1).
        let uuid = try TestImageFarm.uuid(expected.name)
        let root = try #require(guest.fstab.first { $0.mountPoint == "/" })
        #expect(root.spec == "UUID=\(uuid)" && root.resolves == true && root.partition == 1)
        #expect(report.disk.partitionTable == expected.table && report.disk.rootPartition == 1)
        #expect(report.disk.partitions.first?.filesystem?.uuid == uuid)
        #expect(report.disk.partitions.first?.start == 1 << 20)
        let blkid = try ExternalTool.check([
            "blkid", "-p", "-O", "1048576", "-s", "UUID", "-o", "value",
            try TestImageFarm.folder() + "/\(expected.name).raw",
        ])
        #expect(blkid.output.trimmingCharacters(in: .whitespacesAndNewlines) == uuid)
    }

    @Test func slesSwapLineIsReportedAndDoesNotResolve() throws {
        let report = try ImagePreparation.inspect(try TestImageFarm.folder() + "/sles11-dynamic.vhd")
        let swap = try #require(report.guest.fstab.first { $0.type == "swap" })
        #expect(swap.spec == "/dev/sda2" && swap.naming == "device" && swap.resolves == false)
        #expect(report.guest.swap.map(\.kind) == ["fstab"] && report.guest.swap.map(\.location) == ["/dev/sda2"])
    }

    @Test func textOutputNamesTheEssentials() throws {
        let result = try VHDEditBinary.run(["inspect", try TestImageFarm.folder() + "/centos6-dynamic.vhd"])
        #expect(result.status == 0)
        #expect(result.output.contains("CentOS release 6.10 (Final) (id centos, version 6.10, family rhel"))
        #expect(result.output.contains("WALinuxAgent 2.2.45 at /usr/sbin/waagent"))
        let broken = try VHDEditBinary.run(["inspect", try TestImageFarm.folder() + "/broken-nofs.vhd"])
        #expect(broken.status == 1 && broken.stderr.hasPrefix("vhdedit: "))
    }
}
