/// Recognizes secret material in the text of guest files: private keys by their armor, password hashes in
/// account files and their backups, and the credential files of common cloud and database tools. Pure: it
/// judges bytes and text it is given and never reads a file.
public enum SecretMaterial {
    /// The kind of a private key, by the header that opens it.
    public enum PrivateKeyKind: String, Sendable, Hashable, CaseIterable {
        /// `-----BEGIN OPENSSH PRIVATE KEY-----` (ssh-keygen's default since OpenSSH 7.8).
        case openssh
        /// `-----BEGIN RSA PRIVATE KEY-----` (PKCS#1, also with `Proc-Type: 4,ENCRYPTED`).
        case rsa
        /// `-----BEGIN EC PRIVATE KEY-----` (SEC 1).
        case ec
        /// `-----BEGIN DSA PRIVATE KEY-----`.
        case dsa
        /// `-----BEGIN PRIVATE KEY-----` (PKCS#8).
        case pkcs8
        /// `-----BEGIN ENCRYPTED PRIVATE KEY-----` (encrypted PKCS#8).
        case encryptedPKCS8 = "encrypted-pkcs8"
        /// `PuTTY-User-Key-File-2:` / `-3:` (a .ppk file).
        case putty
        /// `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----` (the SSH.com / RFC 4716-style private key).
        case ssh2

        /// The marker that identifies it.
        public var marker: String {
            switch self {
            case .openssh: return "-----BEGIN OPENSSH PRIVATE KEY-----"
            case .rsa: return "-----BEGIN RSA PRIVATE KEY-----"
            case .ec: return "-----BEGIN EC PRIVATE KEY-----"
            case .dsa: return "-----BEGIN DSA PRIVATE KEY-----"
            case .pkcs8: return "-----BEGIN PRIVATE KEY-----"
            case .encryptedPKCS8: return "-----BEGIN ENCRYPTED PRIVATE KEY-----"
            case .putty: return "PuTTY-User-Key-File-"
            case .ssh2: return "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----"
            }
        }
    }

    /// The first private key marker in `bytes` (the head of a file), or `nil`.
    ///
    /// PEM markers may follow other text (openssl's `Bag Attributes`, a certificate first); PuTTY's marker
    /// counts only at the start of a line.
    public static func privateKey(in bytes: some Collection<UInt8>) -> PrivateKeyKind? {
        let head = Array(bytes)
        guard mayHoldMarker(head) else { return nil }
        guard
            let dash = firstIndex(of: Array("-----BEGIN ".utf8), in: head) ?? firstIndex(
                of: Array("---- BEGIN SSH2".utf8), in: head)
                ?? firstIndex(of: Array("PuTTY-User-Key-File-".utf8), in: head)
        else { return nil }
        var best: (offset: Int, kind: PrivateKeyKind)?
        for kind in PrivateKeyKind.allCases {
            guard let offset = firstIndex(of: Array(kind.marker.utf8), in: head, from: dash) else { continue }
            if kind == .putty, offset > 0, head[offset - 1] != UInt8(ascii: "\n") { continue }
            if best == nil || offset < best!.offset { best = (offset, kind) }
        }
        return best?.kind
    }

    /// Whether `head` holds `PRIVATE` or `PuTTY-U` somewhere: every marker has one of them. A skip search
    /// (Horspool's idea over both seven-byte keys): the seven windows starting at `end-6`…`end` all cover byte
    /// `end`, so a byte that is in neither key rules all seven out, and a key byte names the windows that could
    /// hold its key. A text without keys is looked at about one byte in seven; this keeps the head check of tens
    /// of thousands of ordinary files cheap.
    static func mayHoldMarker(_ head: [UInt8]) -> Bool {
        let bytes = head.span
        let count = bytes.count
        func holds(_ key: StaticString, at start: Int) -> Bool {
            guard start >= 0, start &+ 7 <= count else { return false }
            let text = key.utf8Start
            for index in 0..<7 where bytes[start &+ index] != text[index] { return false }
            return true
        }
        let privateKey: StaticString = "PRIVATE", putty: StaticString = "PuTTY-U"
        // The key bytes as bits: '-' below 0x40; A E I P R T U V Y u from 0x40.
        let low: UInt64 = 1 << 0x2D
        var high: UInt64 = 0
        for byte in "AEIPRTUVYu".utf8 { high |= 1 << UInt64(byte - 0x40) }
        var end = 6
        while end < count {
            let byte = bytes[end]
            let isKeyByte =
                byte < 0x40 ? (low >> UInt64(byte)) & 1 == 1 : byte < 0x80 && (high >> UInt64(byte & 0x3F)) & 1 == 1
            guard isKeyByte else {
                end &+= 7
                continue
            }
            switch byte {
            case 0x50: if holds(privateKey, at: end) || holds(putty, at: end) { return true }  // P
            case 0x52: if holds(privateKey, at: end &- 1) { return true }  // R
            case 0x49: if holds(privateKey, at: end &- 2) { return true }  // I
            case 0x56: if holds(privateKey, at: end &- 3) { return true }  // V
            case 0x41: if holds(privateKey, at: end &- 4) { return true }  // A
            case 0x54:
                if holds(privateKey, at: end &- 5) || holds(putty, at: end &- 2) || holds(putty, at: end &- 3) {
                    return true
                }  // T
            case 0x45: if holds(privateKey, at: end &- 6) { return true }  // E
            case 0x75: if holds(putty, at: end &- 1) { return true }  // u
            case 0x59: if holds(putty, at: end &- 4) { return true }  // Y
            case 0x2D: if holds(putty, at: end &- 5) { return true }  // -
            case 0x55: if holds(putty, at: end &- 6) { return true }  // U
            default: break
            }
            end &+= 7
        }
        return false
    }

    static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first && haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    /// The names (first field) of the records of an account file (`kind` passwd, shadow or gshadow) whose
    /// password field holds a hash: anything but empty, `x`, `*…` and `!…` locks.
    public static func accountsWithHashes(_ text: String, kind: AccountFileKind) -> [String] {
        guard kind != .group else { return [] }
        return AccountDatabase(text, kind: kind).records.compactMap { record in
            guard record.fields.count > 1, isHash(record.fields[1]) else { return nil }
            return record.name
        }
    }

    /// Whether a password field holds a hash (or a clear password): not empty, `x`, or a `*`/`!` lock.
    public static func isHash(_ field: String) -> Bool {
        !(field.isEmpty || field == "x" || field.hasPrefix("*") || field.hasPrefix("!"))
    }

    /// Whether a `~/.docker/config.json` holds registry credentials: an `"auths"` object with an `"auth"`,
    /// `"identitytoken"` or `"password"` value after it. A `credsStore`/`credHelpers` setup keeps the secrets
    /// outside the file and is not reported.
    public static func dockerConfigHasCredentials(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let auths = firstIndex(of: Array("\"auths\"".utf8), in: bytes) else { return false }
        return ["\"auth\"", "\"identitytoken\"", "\"password\""].contains { key in
            firstIndex(of: Array(key.utf8), in: bytes, from: auths) != nil
        }
    }

    /// Whether a MySQL option file (`~/.my.cnf`) sets a non-empty `password` (or `pass`) in any section.
    public static func myCnfHasPassword(_ text: String) -> Bool {
        for raw in ConfigText(text).contents {
            let line = raw.trimmingSpaces
            guard !line.hasPrefix("#"), !line.hasPrefix(";"), let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals]).trimmingSpaces.lowercased().replacingAll("-", with: "_")
            let value = String(line[line.index(after: equals)...]).trimmingSpaces
            if ["password", "pass"].contains(key) && !value.isEmpty && value != "\"\"" && value != "''" { return true }
        }
        return false
    }

    /// Whether a `~/.netrc` has a `password` token with a value.
    public static func netrcHasPassword(_ text: String) -> Bool {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
        for (index, word) in words.enumerated() where word == "password" && index + 1 < words.count { return true }
        return false
    }

    /// Whether a file of one-entry-per-line credentials (`.git-credentials` URLs, `.pgpass` lines) has an
    /// entry: a line that is not empty and not a `#` comment.
    public static func hasEntries(_ text: String) -> Bool {
        ConfigText(text).contents.contains { line in
            let trimmed = line.trimmingSpaces
            return !trimmed.isEmpty && !trimmed.hasPrefix("#")
        }
    }

    /// The public keys (lines that are not empty or comments) in an `authorized_keys` file.
    public static func authorizedKeyCount(_ text: String) -> Int {
        ConfigText(text).contents.filter { line in
            let trimmed = line.trimmingSpaces
            return !trimmed.isEmpty && !trimmed.hasPrefix("#")
        }.count
    }
}
