import Benchmark
import VHDEditKit

/// The guest image every layer above BlockIO is measured on: a CentOS-like tree (fixtures.sh guest-tree) in an
/// ext4 made by `mkfs.ext4 -d`, in partition 1 of an sfdisk MBR disk, converted by qemu-img to a dynamic VHD.
func guestFixture(size: String = "1G") -> FixtureFolder {
    FixtureFolder([
        ["guest-tree", "tree"],
        ["guest-disk", "guest.raw", size, "tree"],
        ["vhd", "guest.raw", "guest.vhd", "dynamic"],
        ["rm", "-f", "guest.raw"],
    ])
}

/// The path from an image file to its Linux root filesystem, as every file command takes it.
struct OpenedGuest {
    let image: DiskImage
    let root: RootSelection
    let filesystem: Ext4FileSystem

    init(path: String, writable: Bool) throws {
        image = try DiskImage.open(path: path, writable: writable)
        let disk = try PartitionedDisk.inspect(image.device)
        root = try RootSelector.select(in: disk)
        filesystem = try Ext4FileSystem(device: root.device, writable: writable)
    }
}

/// Layer 2: partition tables and filesystem probing.
func registerDiskLayoutBenchmarks() {
    let guest = guestFixture()
    Benchmark(
        "DiskLayout: partition table parse (MBR, dynamic VHD)",
        configuration: configuration(fixture: guest, scaling: .kilo, maxIterations: 200)
    ) { benchmark in
        let image = try DiskImage.open(path: guest.file("guest.vhd"))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try PartitionTable.read(from: image.device))
        }
        benchmark.stopMeasurement()
    }
    Benchmark(
        "DiskLayout: open image + table + libblkid probe + root selection",
        configuration: configuration(fixture: guest, maxIterations: 2000)
    ) { _ in
        let image = try DiskImage.open(path: guest.file("guest.vhd"))
        let disk = try PartitionedDisk.inspect(image.device)
        blackHole(try RootSelector.select(in: disk))
    }
}

/// Layer 3: ext4 through libext2fs over the block layer.
func registerExt4Benchmarks() {
    let guest = guestFixture()
    // What `vhdedit cat IMAGE /etc/motd` does, minus the process start.
    Benchmark(
        "Ext4: open image + filesystem, read a small file",
        configuration: configuration(fixture: guest, maxIterations: 2000)
    ) { _ in
        let opened = try OpenedGuest(path: guest.file("guest.vhd"), writable: false)
        blackHole(try opened.filesystem.readFile(try GuestPath("/etc/motd")))
    }
    Benchmark(
        "Ext4: read a 1 MiB file (filesystem open)",
        configuration: configuration(fixture: guest, metrics: [mebibytesPerSecond], maxIterations: 2000)
    ) { benchmark in
        let opened = try OpenedGuest(path: guest.file("guest.vhd"), writable: false)
        let path = try GuestPath("/usr/share/bench/one-mib.bin")
        let clock = ContinuousClock()
        benchmark.startMeasurement()
        let started = clock.now
        let bytes = try opened.filesystem.readFile(path)
        benchmark.stopMeasurement()
        reportThroughput(benchmark, bytes: UInt64(bytes.count), duration: clock.now - started)
    }
    // What `vhdedit put` does: open writable, replace a small file, write the metadata back, commit the edit
    // journal (atomic, fsynced). The fresh copy of the image is made outside the measurement.
    Benchmark(
        "Ext4: write a small file + commit",
        configuration: configuration(fixture: guest, maxIterations: 300)
    ) { benchmark in
        let path = guest.file("write-target.vhd")
        try Tool.copy(guest.file("guest.vhd"), to: path)
        let contents = Array("Generalized by the benchmark.\n".utf8)
        benchmark.startMeasurement()
        let opened = try OpenedGuest(path: path, writable: true)
        try opened.filesystem.writeFile(try GuestPath("/etc/motd"), contents: contents)
        try opened.filesystem.close()
        try opened.image.commit()
        benchmark.stopMeasurement()
    }
}
