import Foundation

/// Builds disk images holding LVM2 volume groups with the real lvm2 tools (`pvcreate`, `vgcreate`, `lvcreate`,
/// `lvextend`, `vgchange`) on loop devices over the image file, and reads lvm's own answer of where each logical
/// volume's bytes are (`lvs --reportformat json`, `pvs -o pe_start`) as the oracle.
///
/// lvm2 needs no device-mapper for this: every command runs with `--driverloaded n` where it could activate
/// something, and `--devices` limits it to this fixture's loop devices (other volume groups on the machine stay
/// invisible and untouched). Metadata backups in `/etc/lvm` are turned off. Loop devices are detached on every
/// path. Needs root and `/dev/loop-control`: ``unavailableReason`` says why not.
public final class LVMFixture: @unchecked Sendable {
    /// One segment of a logical volume, as lvs reports it, in bytes on the image file.
    public struct Segment: Sendable {
        /// The first byte of the LV the segment covers.
        public var lvStart: UInt64
        /// Its length in bytes.
        public var length: UInt64
        /// `linear`, `striped`, ...
        public var type: String
        /// Where each stripe's extents start in the image file.
        public var stripeStarts: [UInt64]
        /// The stripe size in bytes (0 when linear).
        public var stripeSize: UInt64
    }

    /// Why LVM fixtures cannot be built here (`nil` when they can).
    public static var unavailableReason: String? {
        if getuid() != 0 { return "lvm2 and loop devices need root" }
        if !FileManager.default.fileExists(atPath: "/dev/loop-control") { return "no /dev/loop-control" }
        if (try? ExternalTool.run(["pvcreate", "--version"]))?.status != 0 {
            return "lvm2 (pvcreate) is not installed"
        }
        return nil
    }

    /// The image file.
    public let path: String
    /// The loop devices attached, with the byte offset of each in the image.
    public private(set) var loops: [(device: String, offset: UInt64)] = []

    /// A fixture over the image at `path` (already partitioned, or not).
    public init(path: String) { self.path = path }

    deinit { detachAll() }

    /// Attaches `size` bytes of the image at `offset` as a loop device (`losetup -f --show -o --sizelimit`).
    @discardableResult
    public func attach(offset: UInt64, size: UInt64) throws -> String {
        let device = try ExternalTool.check([
            "losetup", "-f", "--show", "-o", String(offset), "--sizelimit", String(size), path,
        ]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        loops.append((device, offset))
        return device
    }

    /// Detaches every loop device attached (errors ignored: called on every path).
    public func detachAll() {
        for loop in loops { _ = try? ExternalTool.run(["losetup", "-d", loop.device]) }
        loops = []
    }

    /// Runs an lvm command limited to this fixture's loop devices, without metadata backups.
    @discardableResult
    public func lvm(_ arguments: [String]) throws -> ExternalTool.Result {
        let devices = loops.map(\.device).joined(separator: ",")
        let full =
            [arguments[0], "--devices", devices, "--config", "backup/backup=0 backup/archive=0"]
            + arguments.dropFirst()
        return try ExternalTool.check(full, environment: ["LVM_SUPPRESS_FD_WARNINGS": "1"])
    }

    /// `lvcreate --driverloaded n -an -Zn` with `arguments` (size, name, VG, PVs ...).
    public func lvcreate(_ arguments: [String]) throws {
        try lvm(["lvcreate", "--driverloaded", "n", "-an", "-Zn", "-y"] + arguments)
    }

    /// The segments of every logical volume of `group` as lvs and pvs report them, in bytes on the image file.
    public func segments(group: String) throws -> [String: [Segment]] {
        let extentSize = UInt64(
            try lvm(["vgs", "--noheadings", "--nosuffix", "--units", "b", "-o", "vg_extent_size", group]).output
                .trimmingCharacters(in: .whitespacesAndNewlines))!
        var peStart: [String: UInt64] = [:]
        let pvs = try lvm(["pvs", "--noheadings", "--nosuffix", "--units", "b", "-o", "pv_name,pe_start"]).output
        for line in pvs.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2 { peStart[String(fields[0])] = UInt64(fields[1]) }
        }
        let report = try lvm([
            "lvs", "--driverloaded", "n", "--reportformat", "json", "--units", "b", "--nosuffix", "-o",
            "lv_name,seg_start_pe,seg_size_pe,seg_pe_ranges,segtype,stripe_size", group,
        ]).stdout
        let root = try JSONSerialization.jsonObject(with: report) as! [String: Any]
        let rows = ((root["report"] as! [[String: Any]])[0]["lv"] as! [[String: String]])
        var result: [String: [Segment]] = [:]
        for row in rows {
            var starts: [UInt64] = []
            // "/dev/loop0:0-1 /dev/loop1:0-1"
            for range in row["seg_pe_ranges"]!.split(separator: " ") {
                let parts = range.split(separator: ":")
                let device = String(parts[0])
                let first = UInt64(parts[1].split(separator: "-")[0])!
                let loop = loops.first { $0.device == device }!
                starts.append(loop.offset + peStart[device]! + first * extentSize)
            }
            result[row["lv_name"]!, default: []].append(
                Segment(
                    lvStart: UInt64(row["seg_start_pe"]!)! * extentSize,
                    length: UInt64(row["seg_size_pe"]!)! * extentSize, type: row["segtype"]!,
                    stripeStarts: starts, stripeSize: UInt64(row["stripe_size"] ?? "0") ?? 0))
        }
        return result
    }

    /// The image-file byte ranges of an LV, in LV order: `(file offset, length)` runs.
    public static func runs(of segments: [Segment]) -> [(offset: UInt64, length: UInt64)] {
        var runs: [(offset: UInt64, length: UInt64)] = []
        for segment in segments.sorted(by: { $0.lvStart < $1.lvStart }) {
            if segment.stripeStarts.count == 1 {
                runs.append((segment.stripeStarts[0], segment.length))
                continue
            }
            let stripes = UInt64(segment.stripeStarts.count)
            let chunks = segment.length / segment.stripeSize
            for chunk in 0..<chunks {
                let stripe = Int(chunk % stripes)
                let row = chunk / stripes
                runs.append((segment.stripeStarts[stripe] + row * segment.stripeSize, segment.stripeSize))
            }
        }
        return runs
    }

    /// Copies the file `source` into the LV mapped by `segments` of the image at `image`.
    public static func writeVolume(_ source: String, into image: String, segments: [Segment]) throws {
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: source))
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: image))
        defer {
            try? input.close()
            try? output.close()
        }
        for run in runs(of: segments) {
            var done: UInt64 = 0
            while done < run.length {
                let count = Int(min(1 << 20, run.length - done))
                guard let data = try input.read(upToCount: count), !data.isEmpty else { return }
                if data.contains(where: { $0 != 0 }) {
                    try output.seek(toOffset: run.offset + done)
                    try output.write(contentsOf: data)
                }
                done += UInt64(data.count)
            }
        }
    }

    /// Reassembles the LV mapped by `segments` of the image at `image` into the file `destination`.
    public static func readVolume(from image: String, segments: [Segment], into destination: String) throws {
        _ = FileManager.default.createFile(atPath: destination, contents: nil)
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: image))
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: destination))
        defer {
            try? input.close()
            try? output.close()
        }
        for run in runs(of: segments) {
            var done: UInt64 = 0
            while done < run.length {
                let count = Int(min(1 << 20, run.length - done))
                try input.seek(toOffset: run.offset + done)
                let data = try input.read(upToCount: count) ?? Data()
                try output.write(contentsOf: data + Data(count: count - data.count))
                done += UInt64(count)
            }
        }
    }
}
