/// Small string helpers the editors share (no Foundation).

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs. The one trimming rule of the package's guest
    /// text readers (ImagePrep uses it too): a CRLF terminator is already gone from a ``ConfigText`` line.
    package var trimmingSpaces: String { trimmingSpaces(atBytes: isOneCharacterPerScalar) }

    /// ``trimmingSpaces``, cut at the bytes when `atBytes` (which only a text of one character per scalar may
    /// ask for: a caller that checked the whole text need not check each of its lines again).
    func trimmingSpaces(atBytes: Bool) -> String {
        guard atBytes else {
            let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
            let end = lastIndex { $0 != " " && $0 != "\t" }.map { index(after: $0) } ?? start
            return start < end ? String(self[start..<end]) : ""
        }
        // The same cut made at the bytes (a CR LF pair holds no space or tab, so it is never cut apart).
        let bytes = utf8
        var start: Index?
        var end = bytes.startIndex
        for index in bytes.indices where bytes[index] != UInt8(ascii: " ") && bytes[index] != UInt8(ascii: "\t") {
            if start == nil { start = index }
            end = bytes.index(after: index)
        }
        guard let start else { return "" }
        // Nothing to cut: a String is returned as it is (no copy).
        if start == bytes.startIndex, end == bytes.endIndex { return String(self) }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The words of the text, separated by spaces and tabs.
    package var words: [String] { words(atBytes: isOneCharacterPerScalar) }

    /// ``words``, split at the bytes when `atBytes` (only for a text of one character per scalar).
    func words(atBytes: Bool) -> [String] {
        guard atBytes else {
            let parts: [SubSequence] = split(whereSeparator: { $0 == " " || $0 == "\t" })
            return parts.map { String($0) }
        }
        return SpaceSeparatedWords.strings(in: utf8)
    }

    /// Whether the first of ``words`` is `word` (false for a text without words), without making the words;
    /// looked at the bytes when `atBytes` (only for a text of one character per scalar).
    func firstWordIs(_ word: String, atBytes: Bool) -> Bool {
        guard atBytes, word.isOneCharacterPerScalar,
            !word.utf8.contains(where: SpaceSeparatedWords.isSeparator)
        else { return words.first == word }
        // At the bytes: skip spaces and tabs, then the word must follow, ended by a space, a tab or the end.
        let bytes = utf8
        guard let start = bytes.firstIndex(where: { !SpaceSeparatedWords.isSeparator($0) }) else {
            return false
        }
        var index = start
        for byte in word.utf8 {
            guard index != bytes.endIndex, bytes[index] == byte else { return false }
            index = bytes.index(after: index)
        }
        return !word.isEmpty
            && (index == bytes.endIndex || SpaceSeparatedWords.isSeparator(bytes[index]))
    }

    /// Whether every Unicode scalar of the text is a `Character` of its own that equals no other scalar: every
    /// scalar is below U+0300 (where there is no combining mark, no joiner and no scalar canonically equal to
    /// another) or is U+FFFD (what a decoded invalid byte becomes). Only a CR LF pair is one character of two
    /// scalars there. On such a text, finding or cutting at ASCII characters other than CR and LF gives the same
    /// answer at the UTF-8 bytes as at the characters, without breaking the text into grapheme clusters.
    package var isOneCharacterPerScalar: Bool {
        unicodeScalars.allSatisfy { $0.value < 0x300 || $0.value == 0xFFFD }
    }

    /// Replaces every occurrence of `target` (no Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return String(self) }
        if isOneCharacterPerScalar, target.isOneCharacterPerScalar,
            !target.utf8.contains(UInt8(ascii: "\r")), !target.utf8.contains(UInt8(ascii: "\n"))
        {
            // Matched at the bytes: every match is then a run of whole characters (no CR LF pair is cut).
            let bytes = Array(utf8)
            let wanted = Array(target.utf8)
            var out: [UInt8] = []
            var index = 0
            while index < bytes.count {
                if bytes.count - index >= wanted.count, bytes[index..<(index + wanted.count)].elementsEqual(wanted) {
                    out += replacement.utf8
                    index += wanted.count
                } else {
                    out.append(bytes[index])
                    index += 1
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
        var out = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}

extension StringProtocol {
    /// Without leading and trailing whitespace (spaces, tabs, `\r`, …).
    var trimmingWhitespace: String { trimmingCharacters { $0.isWhitespace } }

    /// Without leading and trailing whitespace, as a slice of the text (no new `String`): the characters of
    /// ``trimmingWhitespace``.
    var trimmedWhitespace: SubSequence {
        guard let start = firstIndex(where: { !$0.isWhitespace }) else { return self[endIndex...] }
        return self[start...lastIndex { !$0.isWhitespace }!]
    }

    /// Without leading and trailing characters matching `predicate`.
    func trimmingCharacters(_ predicate: (Character) -> Bool) -> String {
        guard let start = firstIndex(where: { !predicate($0) }) else { return "" }
        let end = lastIndex { !predicate($0) }!
        return String(self[start...end])
    }
}

/// Words separated by spaces and tabs, found in UTF-8 bytes: the one splitter of the readers' byte paths (a
/// text of one character per scalar, where these bytes split it as its characters would).
enum SpaceSeparatedWords {
    static func isSeparator(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// How many words `bytes` holds, without making them.
    static func count(in bytes: some Collection<UInt8>) -> Int {
        var count = 0
        var inWord = false
        for byte in bytes {
            if isSeparator(byte) {
                inWord = false
            } else if !inWord {
                inWord = true
                count += 1
            }
        }
        return count
    }

    /// The words of `bytes`, each made a String as it ends (no array of slices in between); `capacity`: the
    /// count, when the caller has it.
    static func strings<Bytes: Collection<UInt8>>(in bytes: Bytes, capacity: Int = 0) -> [String] {
        var words: [String] = []
        words.reserveCapacity(capacity)
        var start: Bytes.Index?
        for index in bytes.indices {
            if isSeparator(bytes[index]) {
                if let wordStart = start {
                    words.append(String(decoding: bytes[wordStart..<index], as: UTF8.self))
                    start = nil
                }
            } else if start == nil {
                start = index
            }
        }
        if let start { words.append(String(decoding: bytes[start...], as: UTF8.self)) }
        return words
    }
}
