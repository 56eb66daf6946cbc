public import BlockIO
import Decompression
import SELinuxLabels
import Synchronization

/// The moment between holding an image and parsing it: ``GuestImage/open(path:writable:partition:volume:)`` has
/// opened the image file (its container detected, its footer, headers, allocation table and edit journal
/// read, its parents and journal open) and is about to read the partition table, the first guest byte it
/// parses. A program that wants to lock itself down before untrusted bytes are parsed (the `vhdedit` sandbox)
/// registers a step here; it runs once, at the next open.
public enum GuestParsing {
    private static let pending = Mutex<(@Sendable (DiskImage) throws -> Void)?>(nil)

    /// Runs `step` at the next guest open, just before parsing starts (once; an error from it fails the open).
    public static func beforeNextParse(_ step: (@Sendable (DiskImage) throws -> Void)?) {
        pending.withLock { $0 = step }
    }

    /// Loads now the libraries parsing may open later (the decompressors of initramfs images `check` reads,
    /// and of compressed qcow2 clusters), for a step that stops the process from opening files.
    public static func loadLibraries() { Decompressor.loadLibraries() }

    /// What a command may do after the lock-down that needs a library opened with `dlopen` before it.
    public struct LibraryNeeds: OptionSet, Sendable {
        /// The raw value.
        public let rawValue: Int
        /// A library set from its raw value.
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Decode initramfs images (gzip, xz, zstd: zlib, liblzma, libzstd).
        public static let initramfs = LibraryNeeds(rawValue: 1)
        /// Label files a write session creates with the guest's SELinux policy (libselinux).
        public static let labels = LibraryNeeds(rawValue: 2)
    }

    /// Loads now what a command needs after the lock-down: the decoders of `image`'s compressed qcow2
    /// clusters (its own and its backing files'), and the libraries of `needs`. A library that cannot be
    /// loaded is not an error here: the step that needs it reports it (a guest without SELinux never does).
    /// A read-only `cat` of a VHD loads nothing.
    public static func loadLibraries(for image: DiskImage?, _ needs: LibraryNeeds) {
        if needs.contains(.initramfs) || image == nil {
            Decompressor.loadLibraries()
        } else {
            let qcow2Images = [image?.qcow2].compactMap { $0 } + (image?.qcow2?.backingChain.compactMap(\.qcow2) ?? [])
            for qcow2 in qcow2Images {
                (qcow2.header.compressionType == .zstd ? BlockCodec.zstd : .deflate).loadLibrary()
            }
        }
        if needs.contains(.labels) { try? FileContextsLabels.loadLibrary() }
    }

    /// Runs and clears the registered step.
    static func willParse(_ image: DiskImage) throws {
        let step = pending.withLock { current -> (@Sendable (DiskImage) throws -> Void)? in
            defer { current = nil }
            return current
        }
        try step?(image)
    }
}
