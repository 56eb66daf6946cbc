/// One kernel command line found in a boot-loader file, for checks ("does every entry have
/// `console=ttyS0`?", generalize.md §b.10) without editing anything.
///
/// This is the one reader of kernel command lines: the readiness checks, `vhdedit kernel-args` and the Azure
/// preparation all read the lines and words this type gives.
public struct BootCommandLine: Sendable, Hashable {
    /// The guest path.
    public var path: String
    /// The kind of boot-loader file.
    public var kind: BootloaderFileKind
    /// Where in the file: `entry 0 (title)`, `GRUB_CMDLINE_LINUX + GRUB_CMDLINE_LINUX_DEFAULT`,
    /// `line 12 (menu entry)`, `options`, `kernelopts`.
    public var location: String
    /// The 1-based line the arguments were read from; 0 when the file has no such line (an
    /// `/etc/default/grub` without `GRUB_CMDLINE_LINUX*`, a BLS entry without `options`).
    public var line: Int
    /// The arguments, variable references (`$kernelopts`) included as written.
    public var arguments: [KernelArgument]

    /// The arguments as written, one word each.
    public var words: [String] { arguments.map(\.text) }

    /// True when an argument has this name and its value starts with `valuePrefix` (so `console=ttyS0`
    /// matches `console=ttyS0,115200n8`).
    public func contains(name: String, valuePrefix: String? = nil) -> Bool {
        let wanted = KernelArgument.normalize(name)
        return arguments.contains { argument in
            guard argument.normalizedName == wanted else { return false }
            guard let valuePrefix else { return true }
            return argument.value?.hasPrefix(valuePrefix) ?? false
        }
    }
}

extension BootloaderFileKind {
    /// The location of the one command line of an `/etc/default/grub`.
    static let defaultsLocation = Grub2Defaults.commandLineKey + " + " + Grub2Defaults.defaultCommandLineKey

    /// The kernel command lines of `text`, a file of this kind at `path`, in file order:
    ///
    /// - GRUB legacy: one per entry with a `kernel` command (its first one).
    /// - grub.cfg: one per `linux` / `linux16` / `linuxefi` line.
    /// - `/etc/default/grub`: always one, the words of `GRUB_CMDLINE_LINUX` then `GRUB_CMDLINE_LINUX_DEFAULT`
    ///   (what a normal boot entry gets), at the line of the winning `GRUB_CMDLINE_LINUX` assignment, else of
    ///   `GRUB_CMDLINE_LINUX_DEFAULT`, else 0 with no words (so a check finds the arguments missing).
    /// - BLS entry: always one, the first `options` line (line 0 and no words when there is none).
    /// - grubenv: `kernelopts`, when the block is readable and sets it.
    public func commandLines(of text: String, path: String) -> [BootCommandLine] {
        switch self {
        case .grubLegacy:
            return GrubLegacyMenu(text).entries.compactMap { entry in
                entry.kernelLine.map { index in
                    BootCommandLine(
                        path: path, kind: self, location: "entry \(entry.index) (\(entry.title))", line: index + 1,
                        arguments: entry.kernelArguments)
                }
            }
        case .grub2Config:
            return Grub2Config(text).kernelLines.map { line in
                BootCommandLine(
                    path: path, kind: self,
                    location: "line \(line.lineIndex + 1)" + (line.menuEntry.map { " (\($0))" } ?? ""),
                    line: line.lineIndex + 1, arguments: line.arguments)
            }
        case .grub2Defaults:
            let defaults = Grub2Defaults(text)
            let line =
                defaults.file.lineNumber(of: Grub2Defaults.commandLineKey)
                ?? defaults.file.lineNumber(of: Grub2Defaults.defaultCommandLineKey) ?? 0
            return [
                BootCommandLine(
                    path: path, kind: self, location: Self.defaultsLocation, line: line,
                    arguments: defaults.commandLine + defaults.defaultCommandLine)
            ]
        case .bls:
            let entry = BootLoaderSpecEntry(text)
            return [
                BootCommandLine(
                    path: path, kind: self, location: "options",
                    line: entry.lineIndex(of: "options").map { $0 + 1 } ?? 0,
                    arguments: entry.options)
            ]
        case .grubenv:
            guard let block = try? GrubEnvironmentBlock(text), let value = block.value(of: "kernelopts") else {
                return []
            }
            return [
                BootCommandLine(
                    path: path, kind: self, location: "kernelopts", line: block.lineNumber(of: "kernelopts") ?? 0,
                    arguments: KernelCommandLine(value).arguments)
            ]
        }
    }

    /// Every kernel command line in the boot-loader files among `files` (guest path → text), in path order
    /// (see ``commandLines(of:path:)``). Files that are not boot-loader files and unreadable grubenv blocks
    /// give none.
    public static func commandLines(in files: [String: String]) -> [BootCommandLine] {
        files.keys.sorted().flatMap { path in
            detect(path: path).map { $0.commandLines(of: files[path]!, path: path) } ?? []
        }
    }
}
