// swift-tools-version:6.1
// The vhdedit benchmark suite: a package of its own so that package-benchmark (and its malloc interposer) stays
// out of the main build and out of CI's default `swift test`. Run from this folder:
//
//     swift package benchmark                      # every benchmark, wall clock + mallocs + peak memory
//     swift package benchmark --filter 'VHD.*'     # a subset
//
// Fixtures are built with real tools (qemu-img, mkfs.ext4 -d, sfdisk) in a temporary folder when the suite
// starts and removed when it ends; nothing generated is committed.
import PackageDescription

let package = Package(
    name: "VHDEditBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The main package, by path: its library products are what is measured.
        .package(name: "vhdedit", path: ".."),
        .package(
            url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "VHDEditBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "VHDEditKit", package: "vhdedit"),
            ],
            path: "VHDEditBenchmarks",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
