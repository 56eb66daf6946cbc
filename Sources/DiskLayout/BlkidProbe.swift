internal import CBlkid

#if canImport(Glibc)
    import Glibc
#endif

/// One libblkid low-level probe over a file descriptor: the only place DiskLayout calls libblkid.
///
/// Owns a `blkid_probe` (freed on deinit). The corresponding C calls are `blkid_new_probe`,
/// `blkid_probe_set_device`, `blkid_probe_enable_superblocks`, `blkid_probe_set_superblocks_flags`,
/// `blkid_probe_filter_superblocks_type`,
/// `blkid_do_safeprobe`, `blkid_probe_lookup_value` and `blkid_free_probe`.
final class BlkidProbe {
    /// What one probe run found.
    enum Result {
        /// Exactly one signature; its values by name (`TYPE`, `UUID`, `LABEL`, `VERSION`, `USAGE`, `SEC_TYPE`).
        case found(Values)
        /// No signature.
        case nothing
        /// Several signatures that exclude each other (their `TYPE`s, as far as libblkid lists them).
        case ambiguous([String])
    }

    /// The values of a found signature, in ``valueNames`` order (a few pairs: an array, which unlike a
    /// `[String: String]` needs no Hashable conformance lookup at run time).
    struct Values {
        private(set) var pairs: [(name: String, value: String)] = []

        /// The value called `name`, if libblkid reported it.
        subscript(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

        mutating func append(_ name: String, _ value: String) { pairs.append((name, value)) }
    }

    private let probe: OpaquePointer

    /// A probe of the `length` bytes of `descriptor` from offset 0, superblocks only.
    init(descriptor: Int32, length: UInt64) throws(DiskLayoutError) {
        guard let probe = blkid_new_probe() else {
            throw DiskLayoutError(.probeFailed, "blkid_new_probe failed")
        }
        self.probe = probe
        guard blkid_probe_set_device(probe, descriptor, 0, blkid_loff_t(length)) == 0 else {
            throw DiskLayoutError(.probeFailed, "blkid_probe_set_device failed")
        }
        guard blkid_probe_enable_superblocks(probe, 1) == 0,
            blkid_probe_set_superblocks_flags(probe, cblkid_superblock_flags()) == 0
        else {
            throw DiskLayoutError(.probeFailed, "cannot enable libblkid's superblock probing")
        }
        _ = blkid_probe_enable_partitions(probe, 0)
    }

    deinit { blkid_free_probe(probe) }

    /// Leaves the superblock probers called `types` (libblkid's names, as `blkid -k` lists them) out of
    /// ``run()``. One call sets the whole list: libblkid starts a new filter at each call.
    func skipTypes(_ types: [String]) throws(DiskLayoutError) {
        guard !types.isEmpty else { return }
        var names: [UnsafeMutablePointer<CChar>?] = types.map { strdup($0) } + [nil]
        defer { for name in names { free(name) } }
        guard blkid_probe_filter_superblocks_type(probe, BLKID_FLTR_NOTIN, &names) == 0 else {
            throw DiskLayoutError(.probeFailed, "cannot filter libblkid's \(types.joined(separator: ", ")) probers")
        }
    }

    /// The value names read after a successful probe.
    static let valueNames = ["TYPE", "SEC_TYPE", "UUID", "LABEL", "VERSION", "USAGE"]

    /// Runs `blkid_do_safeprobe` (what `blkid -p` does).
    func run() throws(DiskLayoutError) -> Result {
        switch blkid_do_safeprobe(probe) {
        case 0:
            var values = Values()
            for name in Self.valueNames {
                if let value = lookup(name) { values.append(name, value) }
            }
            return .found(values)
        case 1:
            return .nothing
        case -2:
            return .ambiguous(listAll())
        default:
            throw DiskLayoutError(.probeFailed, "blkid_do_safeprobe failed")
        }
    }

    private func lookup(_ name: String) -> String? {
        var data: UnsafePointer<CChar>?
        var length = 0
        guard blkid_probe_lookup_value(probe, name, &data, &length) == 0, let data else { return nil }
        // `length` counts the terminating NUL; values may hold any bytes (labels), so decode leniently.
        let count = max(0, length - 1)
        let bytes = UnsafeRawBufferPointer(start: data, count: count)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Every signature's TYPE, by stepping `blkid_do_probe` after a reset.
    private func listAll() -> [String] {
        blkid_reset_probe(probe)
        var types: [String] = []
        var steps = 0
        while steps < 64, blkid_do_probe(probe) == 0 {
            steps += 1
            if let type = lookup("TYPE"), !types.contains(type) { types.append(type) }
        }
        return types
    }
}
