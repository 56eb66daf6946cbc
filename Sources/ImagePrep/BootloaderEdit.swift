/// Edits of bootloader configuration text, per file kind: kernel arguments on every entry, and the menu
/// timeout. Lines not edited come back byte-identical.
public enum BootloaderEdit {
    /// `text` of a `kind` file with `add` and `remove` applied to every kernel command line in it.
    public static func kernelArguments(
        _ kind: BootloaderFile.Kind, _ text: String, add: [String], remove: [String]
    ) -> String {
        var lines = TextLines(text)
        switch kind {
        case .grubLegacy, .grub2Config, .bls:
            let commands: Set<String> =
                kind == .grubLegacy ? ["kernel"] : kind == .bls ? ["options"] : ["linux", "linux16", "linuxefi"]
            let keepsPath = kind != .bls
            for (index, line) in lines.lines.enumerated() {
                let words = line.words
                guard let command = words.first, commands.contains(command), !keepsPath || words.count >= 2 else {
                    continue
                }
                let head = keepsPath ? 2 : 1
                let arguments = Array(words.dropFirst(head))
                let edited = KernelArgumentList.edit(arguments, add: add, remove: remove)
                guard edited != arguments else { continue }
                let indent = String(line.prefix(while: { $0 == " " || $0 == "\t" }))
                let separator = line.dropFirst(indent.count).dropFirst(command.count)
                    .prefix(while: { $0 == " " || $0 == "\t" })
                var rebuilt = indent + command + separator
                if keepsPath { rebuilt += words[1] + (edited.isEmpty ? "" : " ") }
                lines.lines[index] = rebuilt + edited.joined(separator: " ")
            }
            return lines.text
        case .grub2Defaults:
            var file = KeyValueText(text)
            let linux = (file.value("GRUB_CMDLINE_LINUX") ?? "").words
            let linuxDefault = (file.value("GRUB_CMDLINE_LINUX_DEFAULT") ?? "").words
            let addHere = add.filter { !KernelArgumentList.contains(linuxDefault, $0) }
            let newLinux = KernelArgumentList.edit(linux, add: addHere, remove: remove)
            let newDefault = KernelArgumentList.edit(linuxDefault, add: [], remove: remove)
            if newLinux != linux { file.set("GRUB_CMDLINE_LINUX", newLinux.joined(separator: " "), quote: "\"") }
            if newDefault != linuxDefault, file.value("GRUB_CMDLINE_LINUX_DEFAULT") != nil {
                file.set("GRUB_CMDLINE_LINUX_DEFAULT", newDefault.joined(separator: " "), quote: "\"")
            }
            return file.rendered
        case .grubenv:
            return grubenv(text) { value in
                KernelArgumentList.edit(value.words, add: add, remove: remove).joined(separator: " ")
            } ?? text
        }
    }

    /// The kernel command lines of a `kind` file, as word lists, with their 1-based line numbers.
    public static func commandLines(_ kind: BootloaderFile.Kind, _ text: String) -> [(line: Int, words: [String])] {
        let lines = TextLines(text).lines
        switch kind {
        case .grubLegacy, .grub2Config, .bls:
            let commands: Set<String> =
                kind == .grubLegacy ? ["kernel"] : kind == .bls ? ["options"] : ["linux", "linux16", "linuxefi"]
            return lines.enumerated().compactMap { index, line in
                let words = line.words
                guard let first = words.first, commands.contains(first) else { return nil }
                return (index + 1, Array(words.dropFirst(kind == .bls ? 1 : 2)))
            }
        case .grub2Defaults:
            let file = KeyValueText(text)
            let words = (file.value("GRUB_CMDLINE_LINUX") ?? "").words + (file.value("GRUB_CMDLINE_LINUX_DEFAULT") ?? "").words
            return [(file.lineNumber("GRUB_CMDLINE_LINUX") ?? file.lineNumber("GRUB_CMDLINE_LINUX_DEFAULT") ?? 0, words)]
        case .grubenv:
            for (index, line) in lines.enumerated() where line.hasPrefix("kernelopts=") {
                return [(index + 1, String(line.dropFirst("kernelopts=".count)).words)]
            }
            return []
        }
    }

    /// `text` of a `kind` file with the menu timeout set to `seconds` where the file sets one.
    public static func timeout(_ kind: BootloaderFile.Kind, _ text: String, seconds: Int) -> String {
        var lines = TextLines(text)
        switch kind {
        case .grubLegacy:
            for (index, line) in lines.lines.enumerated() {
                let trimmed = line.trimmingSpaces
                guard trimmed.hasPrefix("timeout") else { continue }
                let rest = trimmed.dropFirst("timeout".count)
                guard let separator = rest.first, separator == "=" || separator == " " || separator == "\t" else { continue }
                let indent = line.prefix(while: { $0 == " " || $0 == "\t" })
                let new = indent + "timeout" + String(separator) + String(seconds)
                if String(rest.dropFirst()).trimmingSpaces != String(seconds) { lines.lines[index] = new }
            }
            return lines.text
        case .grub2Defaults:
            var file = KeyValueText(text)
            if let value = file.value("GRUB_TIMEOUT"), value != String(seconds) { file.set("GRUB_TIMEOUT", String(seconds)) }
            return file.rendered
        case .grub2Config:
            for (index, line) in lines.lines.enumerated() {
                let trimmed = line.trimmingSpaces
                guard trimmed.hasPrefix("set timeout="), trimmed != "set timeout=\(seconds)" else { continue }
                let indent = line.prefix(while: { $0 == " " || $0 == "\t" })
                lines.lines[index] = indent + "set timeout=\(seconds)"
            }
            return lines.text
        case .bls, .grubenv:
            return text
        }
    }

    /// The grubenv block with `kernelopts` rewritten by `transform`, padded back to its exact length with `#`;
    /// `nil` when the file has no kernelopts or the result would not fit.
    static func grubenv(_ text: String, _ transform: (String) -> String) -> String? {
        var lines = TextLines(text)
        guard let index = lines.lines.firstIndex(where: { $0.hasPrefix("kernelopts=") }) else { return nil }
        let value = String(lines.lines[index].dropFirst("kernelopts=".count))
        lines.lines[index] = "kernelopts=" + transform(value)
        // Strip the old padding (the trailing run of '#'), then pad to the original size.
        var body = lines.text
        while body.hasSuffix("#") { body.removeLast() }
        let size = text.utf8.count
        guard body.utf8.count <= size else { return nil }
        return body + String(repeating: "#", count: size - body.utf8.count)
    }
}
