// swift-tools-version:6.1
// The vhdedit benchmark suite: a package of its own so that ordo-one/benchmark (package-benchmark, with its malloc
// interposer) stays out of the main build and out of CI's default `swift test`. Run from this folder:
//
//     swift package benchmark --no-progress                      # every benchmark
//     swift package benchmark --no-progress --filter 'ImagePrep.*'  # one layer (BlockIO, DiskLayout, Ext4, ImagePrep)
//     swift package benchmark --no-progress --format markdown --path stdout
//
// Each benchmark reports wall time, mallocs (count and bytes) and peak resident memory. Its fixtures are built
// with real tools (Benchmarks/fixtures.sh: qemu-img, mkfs.ext4 -d, sfdisk) in a temporary folder when it starts
// and removed when it ends; nothing generated is committed. The side-by-side comparison with qemu-img, debugfs
// and virt-sysprep is Benchmarks/compare.sh.
import PackageDescription

let package = Package(
    name: "VHDEditBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The main package, by path: its library products are what is measured.
        .package(name: "vhdedit", path: ".."),
        .package(
            url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "VHDEditBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "VHDEditKit", package: "vhdedit"),
            ],
            path: "VHDEditBenchmarks",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
