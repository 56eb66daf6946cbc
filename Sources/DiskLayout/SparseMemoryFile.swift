internal import HostSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An anonymous in-memory file (`memfd_create`) of a given length that is all holes except the ranges written
/// into it: the flat file libblkid probes in place of a volume that may not be flat on the host.
///
/// Owns its descriptor and closes it on deinit; the memory of the written pages is freed with it. Only written
/// pages use memory (tmpfs holes cost nothing), so a 2 TiB volume with 3 MiB of windows costs 3 MiB.
final class SparseMemoryFile {
    /// The file descriptor (owned).
    let descriptor: Int32
    /// The file length.
    let length: UInt64

    /// A new memory file of `length` bytes of zeros.
    ///
    /// - Throws: ``DiskLayoutError/Code/probeFailed`` when the kernel refuses `memfd_create` or `ftruncate`.
    init(name: String, length: UInt64) throws(DiskLayoutError) {
        let fd = HostFileCalls.createMemoryFile(name: name)
        guard fd >= 0 else {
            throw DiskLayoutError(.probeFailed, "memfd_create failed: \(String(cString: strerror(errno)))")
        }
        guard length <= UInt64(Int64.max), ftruncate(fd, off_t(length)) == 0 else {
            let code = errno
            close(fd)
            throw DiskLayoutError(
                .probeFailed,
                "cannot size the probe's memory file to \(length) bytes: \(String(cString: strerror(code)))")
        }
        self.descriptor = fd
        self.length = length
    }

    deinit { close(descriptor) }

    /// Writes `bytes` at `offset` (inside the file).
    func write(_ bytes: [UInt8], at offset: UInt64) throws(DiskLayoutError) {
        var done = 0
        while done < bytes.count {
            let put = bytes.withUnsafeBytes { raw in
                pwrite(descriptor, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done))
            }
            if put < 0 {
                if errno == EINTR { continue }
                throw DiskLayoutError(
                    .probeFailed, "cannot write the probe's memory file: \(String(cString: strerror(errno)))",
                    offset: offset)
            }
            done += put
        }
    }
}
