/// The kinds of boot-loader files whose kernel arguments this layer edits.
public enum BootloaderFileKind: String, Sendable, Hashable, CaseIterable {
    /// GRUB legacy `menu.lst` / `grub.conf`.
    case grubLegacyMenu
    /// `/etc/default/grub`.
    case grub2Defaults
    /// A generated `grub.cfg`.
    case grub2Config
    /// `/boot/loader/entries/*.conf`.
    case bootLoaderSpecEntry
    /// `grubenv`.
    case grubEnvironment

    /// Files to look for, by exact guest path. `/etc/grub.conf` is left out on purpose: it is a symlink to
    /// `/boot/grub/grub.conf` on RHEL/CentOS 6, and a caller should edit the target, not replace the link.
    public static let fixedPaths = [
        "/boot/grub/menu.lst", "/boot/grub/grub.conf", "/etc/default/grub", "/boot/grub/grub.cfg",
        "/boot/grub2/grub.cfg", "/boot/grub2/grubenv", "/boot/grub/grubenv",
    ]

    /// Directories to list, with the file names wanted in each (`*` matches one directory level for EFI).
    /// `/boot/efi/EFI/*/grub.cfg` and `grubenv` are the UEFI copies (for example `EFI/redhat`, `EFI/ubuntu`).
    public static let searchPatterns = [
        "/boot/loader/entries/*.conf", "/boot/efi/EFI/*/grub.cfg", "/boot/efi/EFI/*/grubenv",
        "/etc/default/grub.d/*.cfg",
    ]

    /// The kind of the file at a guest path, or nil when the path is not one of the boot-loader files.
    public static func detect(path: String) -> BootloaderFileKind? {
        let components = path.split(separator: "/").map(String.init)
        guard let name = components.last else { return nil }
        switch path {
        case "/boot/grub/menu.lst", "/boot/grub/grub.conf", "/etc/grub.conf": return .grubLegacyMenu
        case "/etc/default/grub": return .grub2Defaults
        default: break
        }
        if components.count == 4, path.hasPrefix("/boot/loader/entries/"), name.hasSuffix(".conf") {
            return .bootLoaderSpecEntry
        }
        if components.count == 4, path.hasPrefix("/etc/default/grub.d/"), name.hasSuffix(".cfg") {
            return .grub2Defaults
        }
        let underBoot =
            path.hasPrefix("/boot/grub/") || path.hasPrefix("/boot/grub2/")
            || (path.hasPrefix("/boot/efi/EFI/") && components.count == 5)
        if underBoot && components.count <= 5 {
            if name == "grub.cfg" { return .grub2Config }
            if name == "grubenv" { return .grubEnvironment }
            if name == "menu.lst" { return .grubLegacyMenu }
        }
        return nil
    }
}

/// The outcome of a kernel-argument edit on one boot-loader file.
public struct BootloaderFileResult: Sendable {
    /// The guest path.
    public var path: String
    /// The kind of boot-loader file.
    public var kind: BootloaderFileKind
    /// The edit result (text before and after, findings, diff); nil when the file could not be edited.
    public var edit: ConfigEditResult?
    /// Why the file could not be edited (a grubenv without header, or one the edit would overflow).
    public var error: GuestConfigError?
    /// One line per command line the edit concerned ("entry 0: added …", "GRUB_CMDLINE_LINUX: unchanged").
    public var summary: [String]

    /// True when the file's text changed.
    public var changed: Bool { edit?.changed ?? false }
}

extension KernelArgumentEdit {
    /// Applies this edit to every boot-loader file among `files` (guest path → text) and returns one result
    /// per boot-loader file, in path order. Files of other kinds are ignored.
    ///
    /// GRUB legacy entries, `/etc/default/grub`, every `linux`/`linux16`/`linuxefi` line of each grub.cfg,
    /// every BLS `options` line and grubenv `kernelopts` are edited consistently. When a grubenv with
    /// `kernelopts` is among the files, BLS lines that read `$kernelopts` only get removals (additions go
    /// to grubenv) so that no argument is doubled.
    public func apply(toBootloaderFiles files: [String: String]) -> [BootloaderFileResult] {
        let found = files.keys.sorted().compactMap { path in BootloaderFileKind.detect(path: path).map { (path, $0) } }
        let grubenvHasKernelopts = found.contains { path, kind in
            kind == .grubEnvironment
                && (try? GrubEnvironmentBlock(files[path]!, path: path))?.value(of: "kernelopts") != nil
        }
        return found.map { path, kind in
            let text = files[path]!
            switch kind {
            case .grubLegacyMenu:
                var menu = GrubLegacyMenu(text, path: path)
                let outcomes = menu.editKernelArguments(self)
                return BootloaderFileResult(
                    path: path, kind: kind, edit: menu.result,
                    summary: outcomes.map { "entry \($0.entry): \($0.outcome.summary)" })
            case .grub2Defaults:
                var defaults = Grub2Defaults(text, path: path)
                let outcomes = defaults.editKernelArguments(self, createMissing: path == "/etc/default/grub")
                return BootloaderFileResult(
                    path: path, kind: kind, edit: defaults.result,
                    summary: outcomes.map { "\($0.key): \($0.outcome.summary)" })
            case .grub2Config:
                var config = Grub2Config(text, path: path)
                let outcomes = config.editKernelArguments(self)
                return BootloaderFileResult(
                    path: path, kind: kind, edit: config.result,
                    summary: outcomes.map { "line \($0.line): \($0.outcome.summary)" })
            case .bootLoaderSpecEntry:
                var entry = BootLoaderSpecEntry(text, path: path)
                let outcomes = entry.editKernelArguments(
                    self, variablePolicy: grubenvHasKernelopts ? .skipAdditions : .editLiteralArguments)
                return BootloaderFileResult(
                    path: path, kind: kind, edit: entry.result, summary: outcomes.map { "options: \($0.summary)" })
            case .grubEnvironment:
                do throws(GuestConfigError) {
                    var block = try GrubEnvironmentBlock(text, path: path)
                    let outcome = try block.editKernelArguments(self)
                    return BootloaderFileResult(
                        path: path, kind: kind, edit: block.result,
                        summary: outcome.map { ["kernelopts: \($0.summary)"] } ?? ["no kernelopts"])
                } catch {
                    return BootloaderFileResult(
                        path: path, kind: kind, edit: nil, error: error, summary: [error.description])
                }
            }
        }
    }
}
