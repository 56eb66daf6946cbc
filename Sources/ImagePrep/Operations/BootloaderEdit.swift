public import GuestConfig

/// Kernel command lines and menu timeouts of the guest's bootloader files, through GuestConfig's editors
/// (`KernelArgumentEdit`, `GrubLegacyMenu`, `Grub2Defaults`, `Grub2Config`, `BootLoaderSpecEntry`,
/// `GrubEnvironmentBlock`). Lines not edited come back byte-identical.
public enum BootloaderEdit {
    /// The outcome of editing a set of bootloader files.
    public struct Outcome: Sendable {
        /// The new text of each file that changed (guest path → text).
        public var edited: [String: String]
        /// Files that could not be edited, with why.
        public var problems: [(path: String, message: String)]
    }

    /// Applies `add` / `remove` to every kernel command line of `files` (guest path → text) at once, so that
    /// BLS entries reading `$kernelopts` and grubenv stay consistent.
    ///
    /// - Throws: ``ImagePrepError/Code/invalidArgument`` for an argument GuestConfig rejects.
    public static func kernelArguments(
        _ files: [String: String], add: [String], remove: [String]
    ) throws(ImagePrepError) -> Outcome {
        let edit: KernelArgumentEdit
        do { edit = try KernelArgumentEdit(add: add, remove: remove) } catch {
            throw ImagePrepError(
                .invalidArgument, error.field.map { "bad kernel argument '\($0)'" } ?? "bad kernel argument",
                cause: error.message)
        }
        var outcome = Outcome(edited: [:], problems: [])
        for result in edit.apply(toBootloaderFiles: files) {
            if let error = result.error { outcome.problems.append((result.path, error.description)) }
            if let change = result.edit, change.changed { outcome.edited[result.path] = change.edited }
        }
        return outcome
    }

    /// Whether `argument` is on a command line (exactly, or with `,options` as in `console=ttyS0,115200n8`).
    public static func contains(_ words: [String], _ argument: String) -> Bool {
        words.contains { $0 == argument || $0.hasPrefix(argument + ",") }
    }

    /// `text` of a `kind` file with the menu timeout set to `seconds`.
    public static func timeout(_ kind: BootloaderFile.Kind, _ text: String, seconds: Int) -> String {
        switch kind {
        case .grubLegacy:
            var menu = GrubLegacyMenu(text)
            _ = try? menu.setTimeout(seconds)
            return menu.text
        case .grub2Defaults:
            var defaults = Grub2Defaults(text)
            _ = try? defaults.setTimeout(seconds)
            return defaults.text
        case .grub2Config:
            var config = Grub2Config(text)
            _ = try? config.setTimeout(seconds)
            return config.text
        case .bls, .grubenv:
            return text
        }
    }
}
