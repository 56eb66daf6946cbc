/// What an image file's bytes say it is, told by content only (never by the file name).
public enum DetectedImageFormat: Sendable, Equatable {
    /// Nothing known matched: the bytes are the disk.
    case raw
    /// A VHD: the `conectix` footer at the end, or its copy at offset 0.
    case vhd
    /// A VHDX: `vhdxfile` at offset 0.
    case vhdx
    /// A qcow2 image (version 2, 3 or a later one the reader will name): `QFI\xfb` at offset 0.
    case qcow2
    /// A container vhdedit does not read.
    case foreign(ForeignImageFormat)
}

/// A container format vhdedit recognises but does not read, with what to run to convert it.
public struct ForeignImageFormat: Sendable, Equatable {
    /// The format in words (`"VMDK (sparse extent)"`).
    public var name: String
    /// What identified it (`"magic KDMV"`).
    public var evidence: String
    /// Where the evidence lies in the file.
    public var offset: UInt64
    /// The command that turns the file into something vhdedit reads, for `path`.
    public var conversion: @Sendable (String) -> String

    /// Two findings are equal when they name the same format with the same evidence at the same offset (the conversion closure is not compared).
    public static func == (a: ForeignImageFormat, b: ForeignImageFormat) -> Bool {
        a.name == b.name && a.evidence == b.evidence && a.offset == b.offset
    }

    /// A format `qemu-img` reads as `qemuName`: converted to raw by qemu-img.
    static func qemu(_ name: String, _ qemuName: String, _ evidence: String, at offset: UInt64 = 0) -> Self {
        ForeignImageFormat(name: name, evidence: evidence, offset: offset) { path in
            let raw = ForeignImageFormat.rawName(for: path)
            return "qemu-img convert -f \(qemuName) -O raw \(shellQuoted(path)) \(shellQuoted(raw))"
        }
    }

    /// `path` with its extension replaced by `.raw`.
    static func rawName(for path: String) -> String {
        let name = HostPaths.fileName(of: path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return path + ".raw" }
        return String(path.dropLast(name.distance(from: dot, to: name.endIndex))) + ".raw"
    }

    /// The error that refuses a file of this format.
    func refusal(path: String) -> BlockIOError {
        BlockIOError(
            .unsupportedFormat,
            "is \(name) (\(evidence)), which vhdedit does not read; convert it first: \(conversion(path)), "
                + "then use the raw file (vhdedit convert \(shellQuoted(ForeignImageFormat.rawName(for: path))) "
                + "disk.vhd --to fixed --round-to-mib makes an Azure VHD)",
            path: path, offset: offset, structure: "image format")
    }
}

/// `text` quoted for a POSIX shell when it holds anything but plain path characters.
func shellQuoted(_ text: String) -> String {
    let plain = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/._-+,:@%=".contains($0)) }
    if plain && !text.isEmpty { return text }
    var quoted = "'"
    for character in text { quoted += character == "'" ? "'\\''" : String(character) }
    return quoted + "'"
}

/// Tells an image file's container format from its first kilobyte and its last 512 bytes, the way `qemu-img`
/// probes (the magic numbers are those of qemu's `block/*.c` probe functions), plus compressed streams.
///
/// Order: a VHD (footer cookie at the end or its copy at 0, exactly as before this detector existed, so every
/// file read as a VHD still is), then the magic numbers at offset 0, then a dmg `koly` trailer; raw only when
/// nothing matches. An empty file is an error, not an empty disk.
public enum ImageFormatDetector {
    /// The format of the image in `store`.
    ///
    /// - Throws: ``BlockIOError/Code/truncated`` for an empty file, or an I/O error.
    public static func detect(_ store: any ByteStore) throws(BlockIOError) -> DetectedImageFormat {
        let length = try store.length()
        guard length > 0 else {
            throw BlockIOError(
                .truncated, "is empty (0 bytes): not a disk image", path: store.path, offset: 0,
                structure: "image format")
        }
        if try VHDFileStructure.isVHD(store) { return .vhd }
        let head = try store.readExactly(at: 0, count: Int(min(length, 1024)), structure: "image header")
        if let format = fromHead(head) { return format }
        if length >= 512 {
            let tail = try store.readExactly(at: length - 512, count: 512, structure: "image trailer")
            if tail.starts(with: Array("koly".utf8)) && tail.bigEndianUInt32(at: 4) == 4
                && tail.bigEndianUInt32(at: 8) == 512
            {
                return .foreign(.qemu("an Apple disk image (dmg)", "dmg", "trailer magic koly", at: length - 512))
            }
        }
        return .raw
    }

    /// The format the first bytes of a file (up to 1 KiB) name, or `nil`.
    static func fromHead(_ head: [UInt8]) -> DetectedImageFormat? {
        func at(_ offset: Int, _ magic: [UInt8]) -> Bool {
            offset + magic.count <= head.count && head[offset..<offset + magic.count].elementsEqual(magic)
        }
        func at(_ offset: Int, _ text: String) -> Bool { at(offset, Array(text.utf8)) }

        if at(0, [0x51, 0x46, 0x49, 0xFB]) {  // QFI\xfb
            if head.count >= 8 && head.bigEndianUInt32(at: 4) == 1 {
                return .foreign(.qemu("a qcow version 1 image", "qcow", "magic QFI\\xfb, version 1"))
            }
            return .qcow2
        }
        if at(0, "vhdxfile") { return .vhdx }
        if at(0, "KDMV") { return .foreign(.qemu("a sparse-extent VMDK image", "vmdk", "magic KDMV")) }
        if at(0, "COWD") { return .foreign(.qemu("a COWD-extent VMDK image (VMware 3/ESX)", "vmdk", "magic COWD")) }
        if at(0, "# Disk DescriptorFile") || isVMDKDescriptor(head) {
            return .foreign(
                ForeignImageFormat(
                    name: "a VMDK descriptor (a text file naming the extent files that hold the disk)",
                    evidence: "text \"# Disk DescriptorFile\"", offset: 0
                ) { path in
                    "qemu-img convert -f vmdk -O raw \(shellQuoted(path)) \(shellQuoted(ForeignImageFormat.rawName(for: path))) "
                        + "(the extent files must sit beside it)"
                })
        }
        if at(64, [0x7F, 0x10, 0xDA, 0xBE]) {
            return .foreign(.qemu("a VirtualBox VDI image", "vdi", "signature 0xbeda107f at byte 64", at: 64))
        }
        if at(0, "QED\0") { return .foreign(.qemu("a QED image", "qed", "magic QED\\0")) }
        if at(0, "WithoutFreeSpace") || at(0, "WithouFreSpacExt") {
            return .foreign(.qemu("a Parallels image", "parallels", "magic WithoutFreeSpace"))
        }
        if at(0, "Bochs Virtual HD Image") {
            return .foreign(.qemu("a Bochs image", "bochs", "magic \"Bochs Virtual HD Image\""))
        }
        if at(0, "#!/bin/sh") && head.count >= 64
            && String(decoding: head.prefix(128), as: UTF8.self).contains("#V2.0 Format")
        {
            return .foreign(.qemu("a cloop compressed image", "cloop", "header \"#V2.0 Format\""))
        }
        if at(0, [0x4C, 0x55, 0x4B, 0x53, 0xBA, 0xBE]) {  // LUKS\xba\xbe
            return .foreign(
                ForeignImageFormat(
                    name: "a LUKS encrypted volume", evidence: "magic LUKS\\xba\\xbe", offset: 0
                ) { path in
                    "cryptsetup open --readonly \(shellQuoted(path)) plain && dd if=/dev/mapper/plain of=\(shellQuoted(ForeignImageFormat.rawName(for: path))) "
                        + "bs=4M conv=sparse (or qemu-img convert with --object secret,…, -O raw)"
                })
        }
        if at(0, [0x1F, 0x8B, 0x08]) { return .foreign(compressed("gzip", "gzip -dk")) }
        if at(0, [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .foreign(compressed("xz", "xz -dk")) }
        if at(0, [0x28, 0xB5, 0x2F, 0xFD]) { return .foreign(compressed("zstd", "zstd -dk")) }
        if at(0, "BZh") && at(4, [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]) {
            return .foreign(compressed("bzip2", "bzip2 -dk"))
        }
        return nil
    }

    /// A compressed file (`xz`, `gzip` …): not an image until it is decompressed.
    private static func compressed(_ name: String, _ command: String) -> ForeignImageFormat {
        ForeignImageFormat(name: "a \(name)-compressed file", evidence: "\(name) stream magic", offset: 0) { path in
            "\(command) \(shellQuoted(path))"
        }
    }

    /// A VMDK text descriptor that does not start with the usual comment: `version=` and `createType=` lines
    /// in printable text, as qemu's probe looks for.
    private static func isVMDKDescriptor(_ head: [UInt8]) -> Bool {
        guard head.allSatisfy({ $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || (0x20..<0x7F).contains($0) }) else {
            return false
        }
        let text = String(decoding: head, as: UTF8.self)
        return text.contains("createType=") && text.contains("version=")
    }
}
