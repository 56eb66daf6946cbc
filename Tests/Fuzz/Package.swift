// swift-tools-version:6.1
// libFuzzer targets for vhdedit's parsers of untrusted bytes. Built and run by scripts/fuzz.sh:
//   swift build -c release -Xswiftc -sanitize=fuzzer,address --scratch-path .build-fuzz --product FuzzVHD
import Foundation
import PackageDescription

// The main package is two folders up; SwiftPM names a path dependency after its folder, whatever the clone
// is called, so find that name here.
let mainPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent

/// A libFuzzer executable: no `main` of its own (libFuzzer provides it), so its sources parse as a library.
func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport", "CFuzzer"] + products.map { .product(name: $0, package: mainPackage) },
        swiftSettings: [.unsafeFlags(["-parse-as-library"])])
}

let package = Package(
    name: "vhdedit-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "../..")],
    targets: [
        .target(name: "CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer", .product(name: "BlockIO", package: mainPackage)]),
        fuzzTarget("FuzzRedoLog", ["BlockIO"]),
        fuzzTarget("FuzzVHD", ["BlockIO"]),
        fuzzTarget("FuzzVHDX", ["BlockIO"]),
        fuzzTarget("FuzzPartitionTable", ["BlockIO", "DiskLayout"]),
        fuzzTarget("FuzzGuestConfig", ["GuestConfig"]),
        fuzzTarget("FuzzQcow2", ["BlockIO"]),
        fuzzTarget("FuzzJournal", ["Ext4"]),
        fuzzTarget("FuzzLVMMetadata", ["DiskLayout"]),
        fuzzTarget("FuzzExt4", ["BlockIO", "Ext4"]),
    ],
    swiftLanguageModes: [.v6]
)
