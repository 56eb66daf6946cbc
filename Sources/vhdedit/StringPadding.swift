/// Column padding for the command's tables.
extension String {
    /// The string padded with spaces, or cut, to `length` UTF-16 units (what `padding(toLength:withPad:startingAt:)`
    /// gives for a space pad).
    func padded(toLength length: Int) -> String {
        let units = utf16.count
        if units >= length { return String(decoding: Array(utf16.prefix(length)), as: UTF16.self) }
        return self + String(repeating: " ", count: length - units)
    }
}
