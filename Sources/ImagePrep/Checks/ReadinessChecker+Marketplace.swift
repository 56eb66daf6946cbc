import BlockIO
internal import HostSystem

/// What the image is checked for: Azure itself (upload and boot) or the Azure Marketplace, which adds the
/// certification rules on disk sizes (the certification FAQ: OS disk 30–1023 GiB, 30–50 GiB suggested; data disks
/// fixed, whole MiB, 1–1023 GiB).
public enum CheckTarget: String, Codable, Sendable, CaseIterable {
    case azure, marketplace
}

extension ReadinessChecker {
    static let gib: UInt64 = 1 << 30

    /// The Marketplace OS-disk size rule: 30–1023 GiB fails outside, warns above 50 GiB.
    public static func marketplaceOSDiskResults(_ disk: DiskFacts) -> [CheckResult] {
        let size = disk.virtualSize
        let shown = "\(DecimalText.fixed(Double(size) / Double(gib), digits: 2)) GiB (\(size) bytes)"
        let requirement = "Marketplace OS disk between 30 and 1023 GiB (30–50 GiB suggested)"
        let verdict: CheckResult.Verdict =
            size < 30 * gib || size > 1023 * gib ? .fail : size > 50 * gib ? .warn : .pass
        return [
            CheckResult(
                "marketplace.os-disk-size", verdict, requirement,
                shown + (verdict == .warn ? ": above the suggested 50 GiB" : ""), path: "vhd")
        ]
    }

    /// The Marketplace data-disk rules for the disk at `path`: a fixed VHD, a whole number of MiB, the file
    /// length the footer implies, 1–1023 GiB.
    public static func marketplaceDataDiskResults(_ disk: DiskFacts, path: String) -> [CheckResult] {
        var results: [CheckResult] = []
        let fixed = disk.format == "vhd-fixed"
        results.append(
            CheckResult(
                "data-disk.fixed", fixed ? .pass : .fail, "data disk \(path): a fixed VHD", "format \(disk.format)",
                path: path))
        let whole = disk.virtualSize % mib == 0
        results.append(
            CheckResult(
                "data-disk.size-mib", whole ? .pass : .fail, "data disk \(path): virtual size a whole number of MiB",
                "virtual size \(disk.virtualSize) bytes", path: path))
        if fixed {
            let expected = disk.virtualSize + 512
            results.append(
                CheckResult(
                    "data-disk.file-length", disk.fileLength == expected ? .pass : .fail,
                    "data disk \(path): file length = virtual size + 512",
                    "file is \(disk.fileLength) bytes, expected \(expected)", path: path))
        }
        let inBounds = disk.virtualSize >= gib && disk.virtualSize <= 1023 * gib
        results.append(
            CheckResult(
                "data-disk.size-bounds", inBounds ? .pass : .fail, "data disk \(path): between 1 and 1023 GiB",
                "\(DecimalText.fixed(Double(disk.virtualSize) / Double(gib), digits: 2)) GiB (\(disk.virtualSize) bytes)",
                path: path))
        return results
    }
}

extension ImagePreparation {
    /// The container facts of a data disk (no partition table or filesystem needed).
    ///
    /// - Throws: ``ImagePrepError/Code/image`` when the disk cannot be opened.
    public static func dataDiskFacts(_ path: String) throws(ImagePrepError) -> DiskFacts {
        do {
            let image = try DiskImage.open(path: path)
            let length = (try? image.store.length()) ?? 0
            return DiskFacts(
                format: image.format.rawValue, virtualSize: image.device.size, fileLength: length,
                partitionTable: "unknown", partitions: [], rootPartition: nil)
        } catch {
            throw ImagePrepError(.image, "cannot open the data disk", image: path, cause: error.description)
        }
    }

    /// Checks the image at `path` for `target`; for the Marketplace, each of `dataDisks` gets the data-disk rules.
    public static func check(
        _ path: String, partition: Int? = nil, volume: String? = nil, target: CheckTarget, dataDisks: [String] = []
    ) throws(ImagePrepError) -> ReadinessReport {
        // The data disks are opened first: a sandboxed command opens nothing after the OS disk's guest is parsed.
        var dataDiskResults: [CheckResult] = []
        for disk in dataDisks {
            dataDiskResults += ReadinessChecker.marketplaceDataDiskResults(try dataDiskFacts(disk), path: disk)
        }
        var (report, facts) = try checked(path, partition: partition, volume: volume)
        if target == .marketplace { report.results += ReadinessChecker.marketplaceOSDiskResults(facts) }
        report.results += dataDiskResults
        return report
    }
}
