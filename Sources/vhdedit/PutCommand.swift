import ArgumentParser
import VHDEditKit

/// `vhdedit put IMAGE LOCALFILE PATH [--mode M] [--owner U:G]`.
struct PutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Copy a host file into the image (create, or replace keeping mode and owner).",
        discussion: """
            A new file gets --mode/--owner or 0644 root:root; a replaced file keeps its mode and owner unless \
            told. A symlink at PATH is replaced itself, never written through. Zero blocks become holes.
            Example: vhdedit put disk.vhd ./waagent.conf /etc/waagent.conf --mode 644 --owner 0:0
            """)

    @OptionGroup var target: ImageOptions
    @OptionGroup var golden: GoldenImageOptions
    @OptionGroup var sandbox: SandboxOptions
    @Argument(help: "The host file to copy in.") var localFile: String
    @Argument(help: "The guest path to write.") var path: String
    @Option(help: "Octal permission bits, e.g. 644.") var mode: ModeArgument?
    @Option(help: "Numeric owner UID:GID.") var owner: OwnerArgument?

    func validate() throws {
        try mode?.validate()
        try owner?.validate()
    }

    func run() throws {
        let bits = try mode?.bits
        let ids = try owner?.parsed.get()
        let input = try CommandFailure.reportingErrors { try HostInputFile(path: localFile) }
        try GuestCommand.edit(target) { fs in
            var readFailure: (any Error)?
            let options = WriteOptions(mode: bits, uid: ids?.uid, gid: ids?.gid)
            do {
                let size = input.size
                try fs.writeFile(try GuestCommand.path(path), options: options, sizeHint: size) {
                    () throws(Ext4Error) -> [UInt8]? in
                    do {
                        let data = try input.read(upToCount: 1 << 20)
                        return data.isEmpty ? nil : data
                    } catch {
                        readFailure = error
                        throw Ext4Error(.io, "reading \(localFile) failed")
                    }
                }
            } catch {
                throw readFailure ?? error
            }
        }
    }
}
