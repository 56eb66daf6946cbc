public import BlockIO
import Decompression
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

    /// Loads now the libraries parsing may open later (the decompressors of initramfs images `check` reads),
    /// for a step that stops the process from opening files.
    public static func loadLibraries() { Decompressor.loadLibraries() }

    /// Runs and clears the registered step.
    static func willParse(_ image: DiskImage) throws {
        let step = pending.withLock { current -> (@Sendable (DiskImage) throws -> Void)? in
            defer { current = nil }
            return current
        }
        try step?(image)
    }
}
