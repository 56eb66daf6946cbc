/// One kernel command line found in a boot-loader file, for checks ("does every entry have
/// `console=ttyS0`?", generalize.md §b.10) without editing anything.
public struct BootCommandLine: Sendable, Hashable {
    /// The guest path.
    public var path: String
    /// The kind of boot-loader file.
    public var kind: BootloaderFileKind
    /// Where in the file: `entry 0 (title)`, `GRUB_CMDLINE_LINUX`, `line 12 (menu entry)`, `options`,
    /// `kernelopts`.
    public var location: String
    /// The arguments, variable references (`$kernelopts`) included as written.
    public var arguments: [KernelArgument]

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
    /// Every kernel command line in the boot-loader files among `files` (guest path → text), in path order.
    /// Unreadable grubenv blocks are skipped.
    public static func commandLines(in files: [String: String]) -> [BootCommandLine] {
        var result: [BootCommandLine] = []
        for path in files.keys.sorted() {
            guard let kind = detect(path: path), let text = files[path] else { continue }
            switch kind {
            case .grubLegacy:
                for entry in GrubLegacyMenu(text).entries where entry.kernel != nil {
                    result.append(
                        .init(
                            path: path, kind: kind, location: "entry \(entry.index) (\(entry.title))",
                            arguments: entry.kernelArguments))
                }
            case .grub2Defaults:
                let defaults = Grub2Defaults(text)
                for key in [Grub2Defaults.commandLineKey, Grub2Defaults.defaultCommandLineKey] {
                    guard let value = defaults.file.value(of: key) else { continue }
                    result.append(
                        .init(path: path, kind: kind, location: key, arguments: KernelCommandLine(value).arguments))
                }
            case .grub2Config:
                for line in Grub2Config(text).kernelLines {
                    result.append(
                        .init(
                            path: path, kind: kind,
                            location: "line \(line.lineIndex + 1)" + (line.menuEntry.map { " (\($0))" } ?? ""),
                            arguments: line.arguments))
                }
            case .bls:
                let entry = BootLoaderSpecEntry(text)
                if entry.value(of: "options") != nil {
                    result.append(.init(path: path, kind: kind, location: "options", arguments: entry.options))
                }
            case .grubenv:
                if let block = try? GrubEnvironmentBlock(text), let value = block.value(of: "kernelopts") {
                    result.append(
                        .init(
                            path: path, kind: kind, location: "kernelopts",
                            arguments: KernelCommandLine(value).arguments))
                }
            }
        }
        return result
    }
}
