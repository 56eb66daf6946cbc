/// `/etc/hostname`: the first line that is not a comment, trimmed (hostname(5)).
public enum HostnameFile {
    /// The host name, or nil when the file holds none.
    public static func hostname(in text: String) -> String? {
        for line in ConfigText(text).lines {
            let trimmed = line.content.trimmingWhitespace
            if !trimmed.isEmpty && !trimmed.hasPrefix("#") { return trimmed }
        }
        return nil
    }

    /// The text waagent writes (`localhost.localdomain`, no newline; generalize.md §a.2).
    public static let generic = "localhost.localdomain"
}
