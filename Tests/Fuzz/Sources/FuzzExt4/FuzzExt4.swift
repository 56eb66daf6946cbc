import BlockIO
import CFuzzer
import Ext4
import FuzzSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Fuzzes the Ext4 layer (libext2fs under our io_manager, and our path walks, directory listing, reads and
/// writes over it) with hostile filesystems: the input is the start of a small ext2/ext4 image (seeds made by
/// `mkfs.ext4 -d` in scripts/fuzz.sh: 64 KiB filesystems of 1 KiB blocks, cut after their last non-zero
/// byte), zero-filled to 64 KiB and held in memory. Metadata and the files' data all lie in the first ~20 KiB,
/// so the fuzzer mutates what matters without dragging 64 KiB through every mutation. Read-only: open, list the tree (two levels), stat,
/// readlink and read every entry (capped). Then a small write session on a copy: write a file, make a
/// directory, remove an entry, close (commit). Errors are fine; a crash, a hang or a write to the read-only
/// image is not.
let readLimit = 1 << 16
let imageLength = 1 << 16
/// The fixed guest paths every input is driven through, parsed once (not per input).
let lookedUp = ["/link", "/dir/deep/file", "/nonexistent/x"].map { try! GuestPath($0) }
let writtenFile = try! GuestPath("/etc/fuzz.conf")
let madeFolder = try! GuestPath("/fuzzdir")
let removedFile = try! GuestPath("/etc/hostname")
let writtenBytes = Array("fuzz=1\n".utf8)

func walk(_ fs: Ext4FileSystem, _ path: GuestPath, depth: Int, budget: inout Int) {
    guard depth < 3, budget > 0, let entries = try? fs.list(path) else { return }
    for entry in entries.prefix(32) {
        budget -= 1
        if budget <= 0 { return }
        _ = try? fs.lstat(entry.path)
        switch entry.kind {
        case .directory: walk(fs, entry.path, depth: depth + 1, budget: &budget)
        case .symlink:
            _ = try? fs.readlink(entry.path)
            _ = try? fs.realPath(entry.path)
        default: _ = try? fs.readFile(entry.path, limit: readLimit)
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExt4(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = fuzzInput(data, size)
    guard input.count >= 2048, input.count <= imageLength else { return 0 }  // a superblock, at most the image
    input += [UInt8](repeating: 0, count: imageLength - input.count)
    let store = MemoryStore(input, path: "fuzz-ext4")
    if let device = try? RawImage(store: store), let fs = try? Ext4FileSystem(device: device) {
        _ = fs.info
        var budget = 200
        walk(fs, GuestPath.root, depth: 0, budget: &budget)
        for path in lookedUp {
            _ = try? fs.stat(path)
            _ = try? fs.readFile(path, limit: readLimit)
        }
        fs.abandon()
    }
    let unchanged = store.bytes.withUnsafeBytes { a in
        input.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
    }
    precondition(store.bytes.count == input.count && unchanged, "a read-only open wrote the image")

    let copy = MemoryStore(input, path: "fuzz-ext4", writable: true)
    if let device = try? RawImage(store: copy),
        let fs = try? Ext4FileSystem(device: device, writable: true, clock: 1_700_000_000)
    {
        _ = try? fs.writeFile(writtenFile, contents: writtenBytes)
        _ = try? fs.makeDirectory(madeFolder, parents: true)
        _ = try? fs.remove(removedFile)
        do { try fs.close() } catch { fs.abandon() }
    }
    return 0
}

@_cdecl("FuzzExt4_main")
public func fuzzExt4Main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { fuzzExt4($0, $1) }
}
