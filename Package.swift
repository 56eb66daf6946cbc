// swift-tools-version:6.1
import PackageDescription

// vhdedit: read, patch and generalize Linux VM disk images without booting them.
// Licensed under the Apache License, Version 2.0 (LICENSE); third-party notices in NOTICE.

/// Settings every Swift target of the package shares: Swift 6 language mode plus the upcoming
/// features the Swift 6 model codebases use.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// When the `vhdedit` executable links the Swift runtime statically: release builds on Linux.
let staticStdlib: BuildSettingCondition = .when(platforms: [.linux], configuration: .release)

let package = Package(
    name: "vhdedit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BlockIO", targets: ["BlockIO"]),
        .library(name: "HostSystem", targets: ["HostSystem"]),
        .library(name: "DiskLayout", targets: ["DiskLayout"]),
        .library(name: "Ext4", targets: ["Ext4"]),
        .library(name: "GuestConfig", targets: ["GuestConfig"]),
        .library(name: "ImagePrep", targets: ["ImagePrep"]),
        .library(name: "VHDEditKit", targets: ["VHDEditKit"]),
        .executable(name: "vhdedit", targets: ["vhdedit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation`: the DocC catalogues of every module (no code of ours uses it).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // C libraries, through system-library targets (Debian: libext2fs-dev, libblkid-dev).
        .systemLibrary(name: "CExt2fs", pkgConfig: "ext2fs", providers: [.apt(["libext2fs-dev"])]),
        .systemLibrary(name: "CBlkid", pkgConfig: "blkid", providers: [.apt(["libblkid-dev"])]),
        // Decompression of initramfs images (Debian: zlib1g-dev, liblzma-dev, libzstd-dev). Headers only: the
        // libraries are opened with dlopen on first use (see each shim.h), so that commands which never decode
        // an initramfs do not map them and bind their symbols at start-up.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLzma", providers: [.apt(["liblzma-dev"])]),
        .systemLibrary(name: "CZstd", providers: [.apt(["libzstd-dev"])]),
        // SELinux file-context labels of a guest's own policy (Debian: libselinux1-dev), and its bridge. Headers
        // only: libselinux is opened with dlopen when a write session labels files (see shim.h).
        .systemLibrary(name: "CSELinux", providers: [.apt(["libselinux1-dev"])]),
        .target(name: "SELinuxLabels", dependencies: ["CSELinux"], swiftSettings: swiftSettings),
        // C bridge: gzip/xz/zstd streams decoded by zlib, liblzma and libzstd, with an output cap.
        .target(name: "Decompression", dependencies: ["CZlib", "CLzma", "CZstd"], swiftSettings: swiftSettings),

        // The sandbox guest-parsing commands enter: the kernel calls and the seccomp filter's BPF program in C, the
        // policy in Swift. libseccomp (Debian: libseccomp-dev) is linked by the tests only, as the oracle the
        // hand-written filter is compared with.
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .target(name: "CSandbox"),
        .target(name: "Sandbox", dependencies: ["CSandbox"], swiftSettings: swiftSettings),
        // Layer 1: block devices, raw files, VHD fixed/dynamic/differencing, atomic edit journal.
        .target(name: "CHostFile"),
        // Layer 0: host-side calls (host files and folders, child programs, standard streams, lock bytes); the
        // only Swift target that imports CHostFile.
        .target(name: "HostSystem", dependencies: ["CHostFile"], swiftSettings: swiftSettings),
        // Decompression (a leaf: C bridges only) decodes qcow2 compressed clusters.
        .target(name: "BlockIO", dependencies: ["HostSystem", "Decompression"], swiftSettings: swiftSettings),
        // Layer 2: MBR/GPT partitions as slices; libblkid probing.
        .target(name: "DiskLayout", dependencies: ["BlockIO", "CBlkid", "HostSystem"], swiftSettings: swiftSettings),
        // Layer 3: ext2/3/4 through libext2fs over any BlockDevice.
        // The compiled part of the ext2/3/4 bridge (C): bitmaps and group descriptors written back by what changed.
        // Swift sees its functions through CExt2fs's shim.h.
        .target(name: "CExt2fsMetadata", linkerSettings: [.linkedLibrary("ext2fs")]),
        .target(
            name: "Ext4", dependencies: ["BlockIO", "CExt2fs", "CExt2fsMetadata", "HostSystem"],
            swiftSettings: swiftSettings),
        // Layer 4: pure, format-preserving guest configuration editors.
        .target(name: "GuestConfig", swiftSettings: swiftSettings),
        // Layer 5: inspect, generalize, azure-prepare, check, batch.
        .target(
            name: "ImagePrep",
            dependencies: [
                "BlockIO", "DiskLayout", "Ext4", "GuestConfig", "Decompression", "SELinuxLabels", "HostSystem",
            ],
            swiftSettings: swiftSettings),
        // Umbrella: one import for library users.
        .target(
            name: "VHDEditKit",
            dependencies: ["BlockIO", "DiskLayout", "Ext4", "GuestConfig", "ImagePrep", "HostSystem"],
            swiftSettings: swiftSettings),
        // Layer 6: the command line (parsing and printing only).
        .executableTarget(
            name: "vhdedit",
            dependencies: [
                "VHDEditKit", "Sandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Release builds link the Swift runtime, Dispatch and FoundationEssentials statically into the
            // executable (what `swift build --static-swift-stdlib` does, for this product only): start-up then
            // skips resolving thousands of symbols in the shared Swift libraries. The compile flag makes the
            // module autolink FoundationEssentials' own static dependencies. Debug builds, which the tests
            // link, stay dynamic. Linking/static-libstdc++ turns the runtime's `-lstdc++` into GCC's static
            // archive (see the file there): libstdc++.so.6 is then not loaded and relocated at every start.
            // Linking/exports.map keeps the executable's symbols out of its dynamic symbol table. The toolchain's lld
            // packs the ~47,000 relative relocations of the position-independent executable (Swift metadata
            // pointers) as DT_RELR (-z pack-relative-relocs, glibc 2.36+): the loader reads a 9 KiB bitmap instead of
            // a 1.1 MiB table at every start; gold cannot write it.
            swiftSettings: swiftSettings + [.unsafeFlags(["-static-stdlib"], staticStdlib)],
            linkerSettings: [
                .unsafeFlags(
                    [
                        "-static-stdlib", "-L", Context.packageDirectory + "/Linking/static-libstdc++",
                        "-Xlinker", "--version-script=" + Context.packageDirectory + "/Linking/exports.map",
                        "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                    ], staticStdlib)
            ]),

        // Test support: runs the real tools (qemu-img, mkfs.ext4, debugfs, e2fsck, sfdisk) to build and check fixtures.
        .target(name: "_TestSupport", dependencies: ["BlockIO"], swiftSettings: swiftSettings),

        .testTarget(name: "BlockIOTests", dependencies: ["BlockIO", "_TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "HostSystemTests", dependencies: ["HostSystem", "_TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DiskLayoutTests", dependencies: ["DiskLayout", "BlockIO", "_TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "Ext4Tests", dependencies: ["Ext4", "BlockIO", "DiskLayout", "_TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CExt2fsMetadataTests", dependencies: ["CExt2fs", "CExt2fsMetadata", "_TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GuestConfigTests", dependencies: ["GuestConfig", "_TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ImagePrepTests", dependencies: ["ImagePrep", "VHDEditKit", "_TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SandboxTests", dependencies: ["Sandbox", "CSandbox", "CSeccomp", "_TestSupport"],
            swiftSettings: swiftSettings),
        // Runs the built vhdedit binary (swift build builds it beside the test runner). No dependency on the
        // executable target: that would link its objects, and its release-only -static-stdlib, into the test bundle.
        .testTarget(name: "VHDEditCLITests", dependencies: ["_TestSupport"], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
