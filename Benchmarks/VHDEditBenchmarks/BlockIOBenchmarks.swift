import Benchmark
import BlockIO

/// Layer 1: opening images and moving bytes through `BlockDevice`.
func registerBlockIOBenchmarks() {
    let mixed = FixtureFolder([
        ["mixed-raw", "mixed.raw", "64"],
        ["vhd", "mixed.raw", "mixed-dynamic.vhd", "dynamic"],
        ["qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic,force_size=on", "empty-1t.vhd", "1T"],
        ["qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic,force_size=on", "empty-64m.vhd", "64M"],
    ])

    // Footer (both copies), dynamic header and the whole BAT: the fixed cost of every command on a dynamic VHD.
    Benchmark(
        "BlockIO: open dynamic VHD, 64 MiB (footer, header, BAT)",
        configuration: configuration(fixture: mixed, scaling: .kilo)
    ) { benchmark in
        let path = mixed.file("mixed-dynamic.vhd")
        for _ in benchmark.scaledIterations {
            let image = try DiskImage.open(path: path)
            try expectFormat(image, .vhdDynamic)
            blackHole(image)
        }
    }
    Benchmark(
        "BlockIO: open dynamic VHD, 1 TiB virtual (2 MiB BAT)",
        configuration: configuration(fixture: mixed, maxIterations: 200)
    ) { _ in
        let image = try DiskImage.open(path: mixed.file("empty-1t.vhd"))
        try expectFormat(image, .vhdDynamic)
        blackHole(image)
    }

    for (label, name) in [("raw", "mixed.raw"), ("dynamic VHD", "mixed-dynamic.vhd")] {
        Benchmark(
            "BlockIO: sequential read, \(label), 64 MiB in 1 MiB reads",
            configuration: configuration(fixture: mixed, metrics: [mebibytesPerSecond], maxIterations: 100)
        ) { benchmark in
            let image = try DiskImage.open(path: mixed.file(name))
            let device = image.device
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            let clock = ContinuousClock()
            let started = clock.now
            var offset: UInt64 = 0
            while offset < device.size {
                let count = Int(min(UInt64(buffer.count), device.size - offset))
                try buffer.withMutableBytes { (raw) throws(BlockIOError) in
                    try device.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: raw[..<count]))
                }
                offset += UInt64(count)
            }
            reportThroughput(benchmark, bytes: device.size, duration: clock.now - started)
            blackHole(buffer)
        }

        Benchmark(
            "BlockIO: random 4 KiB reads, \(label)",
            configuration: configuration(fixture: mixed, scaling: .kilo, maxIterations: 200)
        ) { benchmark in
            let image = try DiskImage.open(path: mixed.file(name))
            let device = image.device
            var random = SplitMix64(seed: 42)
            let pages = device.size / 4096
            var buffer = [UInt8](repeating: 0, count: 4096)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let offset = UInt64.random(in: 0..<pages, using: &random) * 4096
                try buffer.withMutableBytes { (raw) throws(BlockIOError) in try device.read(at: offset, into: raw) }
            }
            benchmark.stopMeasurement()
            blackHole(buffer)
        }
    }

    // 32 writes of 4 KiB, each into a block that is not allocated yet: every one appends a 2 MiB block, writes
    // its sector bitmap, updates the BAT and moves the footer; then the commit of the edit journal (durable).
    Benchmark(
        "BlockIO: block allocation writes, dynamic VHD (32 new blocks + commit)",
        configuration: configuration(fixture: mixed, maxIterations: 100)
    ) { benchmark in
        let path = mixed.file("write-target.vhd")
        try Tool.copy(mixed.file("empty-64m.vhd"), to: path)
        var data = [UInt8](repeating: 0, count: 4096)
        var random = SplitMix64(seed: 7)
        for index in data.indices { data[index] = UInt8(truncatingIfNeeded: random.next()) }
        benchmark.startMeasurement()
        let image = try DiskImage.open(path: path, writable: true)
        try expectFormat(image, .vhdDynamic)
        let blockSize: UInt64 = 2 << 20
        for block in 0..<UInt64(32) {
            try image.device.write(at: block * blockSize + 512, bytes: data)
        }
        try image.device.flush()
        try image.commit()
        benchmark.stopMeasurement()
    }
}

/// Fails the benchmark when an image did not open as the format it was built as (the benchmark would measure
/// the wrong code).
func expectFormat(_ image: DiskImage, _ format: DiskImage.Format) throws {
    guard image.format == format else {
        throw FixtureError("\(image.path) opened as \(image.format.rawValue), expected \(format.rawValue)")
    }
}
