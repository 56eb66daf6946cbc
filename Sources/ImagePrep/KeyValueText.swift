/// A `KEY=value` file: sysconfig shell-variable files (`ifcfg-eth0`, `/etc/sysconfig/network`,
/// `/etc/default/grub`) and `waagent.conf`. Interim editor for ImagePrep's own needs; quoting is kept on set.
struct KeyValueText {
    var text: TextLines

    init(_ contents: String) { text = TextLines(contents) }

    /// The index and raw value of each assignment of `key`.
    private func assignments(_ key: String) -> [(index: Int, raw: String)] {
        var found: [(Int, String)] = []
        for (index, line) in text.lines.enumerated() {
            var rest = Substring(line.trimmingSpaces)
            if rest.hasPrefix("#") { continue }
            if rest.hasPrefix("export ") { rest = rest.dropFirst(7) }
            guard rest.hasPrefix(key) else { continue }
            rest = rest.dropFirst(key.count)
            let afterKey = rest.drop(while: { $0 == " " || $0 == "\t" })
            guard afterKey.first == "=" else { continue }
            found.append((index, String(afterKey.dropFirst()).trimmingSpaces))
        }
        return found
    }

    /// The value of the last assignment of `key`, quotes removed and a trailing ` # comment` dropped.
    func value(_ key: String) -> String? {
        guard let raw = assignments(key).last?.raw else { return nil }
        return Self.unquote(raw)
    }

    /// The line number (1-based) of the last assignment of `key`.
    func lineNumber(_ key: String) -> Int? { assignments(key).last.map { $0.index + 1 } }

    static func unquote(_ raw: String) -> String {
        if let quote = raw.first, quote == "\"" || quote == "'" {
            let body = raw.dropFirst()
            if let end = body.firstIndex(of: quote) { return String(body[..<end]) }
            return String(body)
        }
        if let hash = raw.firstRange(of: " #") { return String(raw[..<hash.lowerBound]).trimmingSpaces }
        return raw
    }

    /// Sets `key` to `value` on every assignment (keeping each one's quote style), or appends `KEY=value`
    /// (quoted with `quote` when given). Returns whether the text changed.
    @discardableResult
    mutating func set(_ key: String, _ value: String, quote: Character? = nil) -> Bool {
        let found = assignments(key)
        if found.isEmpty {
            text.append("\(key)=\(quote.map { "\($0)\(value)\($0)" } ?? value)")
            return true
        }
        var changed = false
        for (index, raw) in found where Self.unquote(raw) != value {
            let line = text.lines[index]
            let equals = line.firstIndex(of: "=")!
            let prefix = line[...equals]
            let style: Character? = raw.first.flatMap { $0 == "\"" || $0 == "'" ? $0 : nil } ?? quote
            text.lines[index] = prefix + (style.map { "\($0)\(value)\($0)" } ?? value)
            changed = true
        }
        return changed
    }

    /// Removes every assignment of `key`. Returns whether the text changed.
    @discardableResult
    mutating func unset(_ key: String) -> Bool {
        let found = assignments(key)
        for (index, _) in found.reversed() { text.remove(at: index) }
        return !found.isEmpty
    }

    var rendered: String { text.text }
}
