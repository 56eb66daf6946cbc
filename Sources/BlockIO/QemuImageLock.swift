internal import HostSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The image locks qemu, qemu-nbd, qemu-img and qemu-io take, held by vhdedit too, so that neither side writes
/// an image the other is using.
///
/// qemu (block/file-posix.c) takes open-file-description locks (`F_OFD_SETLK`), always shared, on single
/// bytes of the image file: byte `100 + bit` for each permission it holds, byte `200 + bit` for each
/// permission it denies to everybody else. Before it counts as holding them it checks that no other open file
/// description holds byte `200 + bit` of a permission it wants, or byte `100 + bit` of a permission it denies
/// (`F_OFD_GETLK`).
///
/// | bit | permission | a qemu reader | a qemu writer |
/// |---|---|---|---|
/// | 0 | consistent read | held (byte 100) | held (byte 100) |
/// | 1 | write | denied (byte 201) | held (101) and denied (201) |
/// | 2 | write unchanged | shared | shared |
/// | 3 | resize | denied (byte 203) | held (103) and denied (203) |
/// | 4 | graph change | shared | shared |
///
/// vhdedit takes exactly what `qemu-img info` (a reader) or `qemu-io` (a writer) takes, as seen in
/// `/proc/locks`. Locks are tied to the open file description: they go away with the descriptor, and a child
/// that inherits it holds the same locks (no conflict with itself). Filesystems without OFD locks are skipped.
public struct QemuImageLock: Sendable, Equatable {
    /// qemu's block-layer permissions (`BLK_PERM_*`), as lock-byte bits.
    public struct Permissions: OptionSet, Sendable, Hashable {
        /// The lock-byte bits.
        public let rawValue: Int
        /// Permissions from their bits.
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// `BLK_PERM_CONSISTENT_READ`: reads see consistent data.
        public static let consistentRead = Permissions(rawValue: 1 << 0)
        /// `BLK_PERM_WRITE`: the holder writes.
        public static let write = Permissions(rawValue: 1 << 1)
        /// `BLK_PERM_WRITE_UNCHANGED`: writes that leave the data as it was.
        public static let writeUnchanged = Permissions(rawValue: 1 << 2)
        /// `BLK_PERM_RESIZE`: the holder may resize.
        public static let resize = Permissions(rawValue: 1 << 3)
        /// `BLK_PERM_GRAPH_MOD`: the holder may change the backing graph.
        public static let graphChange = Permissions(rawValue: 1 << 4)

        static let all: [(Permissions, String)] = [
            (.consistentRead, "consistent read"), (.write, "write"), (.writeUnchanged, "write unchanged"),
            (.resize, "resize"), (.graphChange, "change children"),
        ]
    }

    /// The first byte of the held-permission locks.
    public static let permissionBase: Int64 = 100
    /// The first byte of the denied-permission locks.
    public static let sharedBase: Int64 = 200

    /// Permissions held.
    public var held: Permissions
    /// Permissions others may not hold.
    public var denied: Permissions

    /// What a reader takes (as `qemu-img info`): consistent read; nobody else may write or resize.
    public static let reading = QemuImageLock(held: .consistentRead, denied: [.write, .resize])
    /// What a writer takes (as `qemu-io`, `qemu-nbd`): read, write and resize; nobody else may write or resize.
    public static let writing = QemuImageLock(held: [.consistentRead, .write, .resize], denied: [.write, .resize])

    /// Takes the locks on `descriptor` (the file `path`), then checks that nobody else conflicts; on a conflict
    /// the locks just taken are dropped.
    ///
    /// - Throws: ``BlockIOError/Code/inUse`` with qemu's words (`Failed to get shared "write" lock`) when another
    ///   process (a VM, qemu-nbd, qemu-img) holds a permission this denies or denies one this holds;
    ///   ``BlockIOError/Code/io`` when the locks cannot be taken for another reason.
    func acquire(on descriptor: Int32, path: String) throws(BlockIOError) {
        var taken: [off_t] = []
        func release() { for byte in taken { ByteLocks.unlock(descriptor, byte: Int64(byte)) } }
        for (permission, _) in Permissions.all {
            for (set, base) in [(held, Self.permissionBase), (denied, Self.sharedBase)] where set.contains(permission) {
                let byte = off_t(base) + off_t(permission.rawValue.trailingZeroBitCount)
                let code = ByteLocks.lock(descriptor, byte: Int64(byte))
                if code == EINVAL || code == ENOLCK || code == EOPNOTSUPP {
                    release()
                    return  // no OFD locks here (an old kernel, some network filesystems): only flock protects
                }
                guard code == 0 else {
                    release()
                    throw BlockIOError(.io, "cannot take qemu's image lock byte \(byte)", path: path, errno: code)
                }
                taken.append(byte)
            }
        }
        do throws(BlockIOError) { try check(on: descriptor, path: path) } catch {
            release()
            throw error
        }
    }

    /// Throws when another open file description conflicts (qemu's `raw_check_lock_bytes`).
    private func check(on descriptor: Int32, path: String) throws(BlockIOError) {
        for (permission, name) in Permissions.all {
            let bit = off_t(permission.rawValue.trailingZeroBitCount)
            if held.contains(permission), try isLocked(off_t(Self.sharedBase) + bit, descriptor, path) {
                throw Self.conflict("Failed to get \"\(name)\" lock", path: path)
            }
            if denied.contains(permission), try isLocked(off_t(Self.permissionBase) + bit, descriptor, path) {
                throw Self.conflict("Failed to get shared \"\(name)\" lock", path: path)
            }
        }
    }

    private func isLocked(_ byte: off_t, _ descriptor: Int32, _ path: String) throws(BlockIOError) -> Bool {
        let answer = ByteLocks.isLockedElsewhere(descriptor, byte: Int64(byte))
        if answer < 0 {
            throw BlockIOError(.io, "cannot test qemu's image lock byte \(byte)", path: path, errno: -answer)
        }
        return answer == 1
    }

    private static func conflict(_ what: String, path: String) -> BlockIOError {
        BlockIOError(
            .inUse,
            "image is in use by another program: \(what) (qemu's image locks); is a VM, qemu-nbd or qemu-img using it?",
            path: path)
    }
}
