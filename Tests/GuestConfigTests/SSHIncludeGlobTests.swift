import Foundation
import Testing
import _TestSupport

@testable import GuestConfig

#if canImport(Glibc)
    import Glibc
#endif

/// sshd_config `Include` patterns are matched by GuestConfig's own matcher (GuestConfig is pure and cannot use
/// Ext4's `GlobPattern`); for the wildcards sshd's includes use (`*`, `?`) it gives glob(3)'s answers, as
/// glibc's fnmatch(FNM_PATHNAME | FNM_PERIOD) computes them.
@Suite struct SSHIncludeGlobTests {
    @Test func includePatternsMatchAsFnmatch() {
        let paths = [
            "/etc/ssh/sshd_config.d/50-cloud-init.conf", "/etc/ssh/sshd_config.d/.hidden.conf",
            "/etc/ssh/sshd_config.d/a.conf", "/etc/ssh/sshd_config.d/sub/b.conf", "/etc/ssh/sshd_config",
            "/etc/ssh/sshd_config.d/x.conf.bak", "/etc/ssh/ab", "/etc/ssh/a", "/etc/ssh/.a",
        ]
        let patterns = [
            "/etc/ssh/sshd_config.d/*.conf", "/etc/ssh/sshd_config.d/*", "/etc/ssh/*/*.conf", "/etc/ssh/?",
            "/etc/ssh/??", "/etc/ssh/*", "/etc/ssh/sshd_config.d/.*", "/etc/ssh/sshd_config.d/*.conf*",
            "/etc/ssh/sshd_config", "/etc/*/sshd_config.d/5?-*.conf",
        ]
        for path in paths {
            for pattern in patterns {
                let expected = fnmatch(pattern, path, FNM_PATHNAME | FNM_PERIOD) == 0
                #expect(GlobPattern(pattern).matches(path) == expected, "'\(path)' against '\(pattern)'")
            }
        }
    }
}
