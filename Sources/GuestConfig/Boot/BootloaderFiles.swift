/// The kinds of boot-loader files whose kernel arguments this layer edits. The raw values are the names
/// `vhdedit inspect --json` prints.
public enum BootloaderFileKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// GRUB legacy `menu.lst` / `grub.conf` (`kernel` lines).
    case grubLegacy = "grub-legacy"
    /// `/etc/default/grub` (`GRUB_CMDLINE_LINUX`...).
    case grub2Defaults = "grub2-defaults"
    /// A generated `grub.cfg` (`linux` / `linux16` / `linuxefi` lines).
    case grub2Config = "grub2-config"
    /// `grubenv` (`kernelopts=`).
    case grubenv
    /// A Boot Loader Specification entry (`/boot/loader/entries/*.conf`, `options` line).
    case bls

    /// The bootloader family a file belongs to: `grubLegacy`, `grub2Config` (every GRUB 2 file) or `bls`.
    public var loader: BootloaderFileKind {
        switch self {
        case .grubLegacy: return .grubLegacy
        case .grub2Defaults, .grub2Config, .grubenv: return .grub2Config
        case .bls: return .bls
        }
    }

    /// Where a guest keeps its boot-loader files, in the order they are looked for: the one catalogue both
    /// the inspection (which files exist) and the editors (``detect(path:)``) use.
    ///
    /// Paths that are usually symlinks (`/etc/grub.conf`, `/etc/grub2.cfg`, `/etc/grub2-efi.cfg`) are listed
    /// so that a caller resolving links finds their target; a caller should edit the target, not replace the
    /// link. `/boot/grub/grub.cfg` is GRUB 2 (GRUB legacy uses `menu.lst`).
    public static let catalogue: [BootloaderLocation] = [
        .init(.grubLegacy, "/boot/grub/menu.lst"),
        .init(.grubLegacy, "/boot/grub/grub.conf"),
        .init(.grubLegacy, "/etc/grub.conf"),
        .init(.grub2Defaults, "/etc/default/grub"),
        .init(.grub2Config, "/boot/grub2/grub.cfg"),
        .init(.grub2Config, "/etc/grub2.cfg"),
        .init(.grub2Config, "/etc/grub2-efi.cfg"),
        .init(.grub2Config, "/boot/efi/EFI/*/grub.cfg"),
        .init(.grub2Config, "/boot/grub/grub.cfg"),
        .init(.grubenv, "/boot/grub2/grubenv", mustContain: "kernelopts="),
        .init(.grubenv, "/boot/grub/grubenv", mustContain: "kernelopts="),
        .init(.bls, "/boot/loader/entries/*.conf"),
    ]

    /// The kind of the file at a guest path, or nil when the path is not one of the boot-loader files.
    public static func detect(path: String) -> BootloaderFileKind? {
        let components = path.split(separator: "/").map(String.init)
        guard let name = components.last else { return nil }
        switch path {
        case "/boot/grub/menu.lst", "/boot/grub/grub.conf", "/etc/grub.conf": return .grubLegacy
        case "/etc/default/grub": return .grub2Defaults
        default: break
        }
        if components.count == 4, path.hasPrefix("/boot/loader/entries/"), name.hasSuffix(".conf") {
            return .bls
        }
        if components.count == 4, path.hasPrefix("/etc/default/grub.d/"), name.hasSuffix(".cfg") {
            return .grub2Defaults
        }
        let underBoot =
            path.hasPrefix("/boot/grub/") || path.hasPrefix("/boot/grub2/")
            || (path.hasPrefix("/boot/efi/EFI/") && components.count == 5)
        if underBoot && components.count <= 5 {
            if name == "grub.cfg" { return .grub2Config }
            if name == "grubenv" { return .grubenv }
            if name == "menu.lst" { return .grubLegacy }
        }
        return nil
    }
}

/// One entry of ``BootloaderFileKind/catalogue``: a guest path (a `*` matches one path component) and the
/// kind of file found there.
public struct BootloaderLocation: Sendable, Hashable {
    /// The kind of boot-loader file at this location.
    public var kind: BootloaderFileKind
    /// The guest path, or a pattern whose `*` matches within one path component.
    public var path: String
    /// Text a file must contain to count (a `grubenv` only counts when it holds `kernelopts=`); nil when
    /// any file there counts.
    public var mustContain: String?

    /// A location of `kind` files at `path`.
    public init(_ kind: BootloaderFileKind, _ path: String, mustContain: String? = nil) {
        self.kind = kind
        self.path = path
        self.mustContain = mustContain
    }

    /// True when `path` is a pattern (`*`) rather than one exact path.
    public var isPattern: Bool { path.contains("*") }
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
            kind == .grubenv
                && (try? GrubEnvironmentBlock(files[path]!, path: path))?.value(of: "kernelopts") != nil
        }
        return found.map { path, kind in
            let text = files[path]!
            switch kind {
            case .grubLegacy:
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
            case .bls:
                var entry = BootLoaderSpecEntry(text, path: path)
                let outcomes = entry.editKernelArguments(
                    self, variablePolicy: grubenvHasKernelopts ? .skipAdditions : .editLiteralArguments)
                return BootloaderFileResult(
                    path: path, kind: kind, edit: entry.result, summary: outcomes.map { "options: \($0.summary)" })
            case .grubenv:
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
