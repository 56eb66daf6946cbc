import Testing
import _TestSupport

@testable import GuestConfig

@Suite("Secret material: key armor, hashes, credential files")
struct SecretMaterialTests {
    @Test func privateKeyArmorOfEveryKindAndNothingElse() {
        let cases: [(String, SecretMaterial.PrivateKeyKind?)] = [
            ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n", .openssh),
            ("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n", .rsa),
            ("-----BEGIN EC PRIVATE KEY-----\nMHc\n", .ec),
            ("-----BEGIN DSA PRIVATE KEY-----\nMIIB\n", .dsa),
            ("-----BEGIN PRIVATE KEY-----\nMIIE\n", .pkcs8),
            ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n", .encryptedPKCS8),
            ("PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\n", .putty),
            (
                "subject=/CN=x\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN EC PRIVATE KEY-----\n",
                .ec
            ),
            ("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", nil),
            ("-----BEGIN PUBLIC KEY-----\nMIIB\n", nil),
            ("ssh-ed25519 AAAAC3Nza user@host\n", nil),
            ("notes: PuTTY-User-Key-File-2 is the header of a ppk\n", nil),
            ("", nil),
        ]
        for (text, kind) in cases { #expect(SecretMaterial.privateKey(in: Array(text.utf8)) == kind, "\(text)") }
    }

    /// The skip search that rules files out must never rule a key out: every marker found at every offset (and
    /// ending at the last byte), with filler of every byte value in front.
    @Test func markerFoundAtEveryOffset() {
        var generator = SeededGenerator(seed: 20)
        for kind in SecretMaterial.PrivateKeyKind.allCases {
            for offset in 0..<70 {
                var filler = (0..<offset).map { _ in UInt8.random(in: 0...255, using: &generator) }
                filler = filler.map { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "P") ? UInt8(ascii: "x") : $0 }
                if !filler.isEmpty { filler[filler.count - 1] = UInt8(ascii: "\n") }
                let head = filler + Array(kind.marker.utf8)
                #expect(SecretMaterial.privateKey(in: head) == kind, "\(kind) at \(offset)")
                #expect(SecretMaterial.mayHoldMarker(head))
            }
        }
        let text = Array(
            String(repeating: "export PATH=/usr/local/bin:$PATH  # not a key, PRIVAT E, PuTTY U\n", count: 40).utf8)
        #expect(!SecretMaterial.mayHoldMarker(text) && SecretMaterial.privateKey(in: text) == nil)
    }

    @Test func hashesInAccountFiles() {
        let shadow =
            "root:$6$salt$hash:19000:0:99999:7:::\nbin:*:1:0:99999:7:::\nsshd:!!:1::::::\nann:!$6$x$y:1:0:99999:7:::\nbob::1:0:99999:7:::\n"
        #expect(SecretMaterial.accountsWithHashes(shadow, kind: .shadow) == ["root"])
        #expect(
            SecretMaterial.accountsWithHashes(
                "root:x:0:0:root:/root:/bin/bash\nold:$1$ab$cd:5:5::/:/bin/sh\n", kind: .passwd) == ["old"])
        #expect(SecretMaterial.accountsWithHashes("wheel:::ann\nadm:$6$a$b::\n", kind: .gshadow) == ["adm"])
    }

    @Test func credentialFiles() {
        #expect(SecretMaterial.dockerConfigHasCredentials("{\"auths\": {\"r.io\": {\"auth\": \"eDp5\"}}}"))
        #expect(!SecretMaterial.dockerConfigHasCredentials("{\"auths\": {}, \"credsStore\": \"desktop\"}"))
        #expect(!SecretMaterial.dockerConfigHasCredentials("{\"auth\": \"x\"}"))
        #expect(SecretMaterial.myCnfHasPassword("[client]\nuser = a\npassword = secret\n"))
        #expect(SecretMaterial.myCnfHasPassword("[mysqldump]\npass=x\n"))
        #expect(!SecretMaterial.myCnfHasPassword("[client]\nuser=a\n# password=old\npassword=\n"))
        #expect(SecretMaterial.netrcHasPassword("machine h\n  login u\n  password p\n"))
        #expect(!SecretMaterial.netrcHasPassword("machine h login u\n"))
        #expect(SecretMaterial.hasEntries("# comment\nh:5432:*:u:p\n") && !SecretMaterial.hasEntries("# only\n\n"))
        #expect(SecretMaterial.authorizedKeyCount("# keys\nssh-rsa AAAA a\n\nssh-ed25519 AAAA b\n") == 2)
    }
}
