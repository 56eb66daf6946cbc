import BlockIO

/// What the library reports while it opens images, printed as the command goes (before any output).
enum OpenNotices {
    /// Prints every pending edit journal an open finds on standard error: the image file alone is torn.
    static func install() {
        PendingEdit.onAnnounce { pending in CommandFailure.printError("vhdedit: warning: \(pending.message)") }
    }
}
