/// `/etc/selinux/config`: the SELinux mode the guest boots in and the policy it loads (selinux_config(5)).
///
/// libselinux reads `SELINUX=` and `SELINUXTYPE=` from this file; values are matched without regard to case,
/// as it does, and the last assignment wins.
public struct SELinuxConfig: Sendable, Hashable {
    /// The mode `SELINUX=` names.
    public enum Mode: String, Sendable, Hashable, Codable {
        case enforcing, permissive, disabled
    }

    /// The mode; nil when the file does not set a known one (then the kernel command line decides).
    public var mode: Mode?
    /// `SELINUXTYPE=`: the policy folder under `/etc/selinux` (`targeted`, `mls`, `default`, ...).
    public var policyType: String?

    /// Parses `text`; never fails.
    public init(_ text: String) {
        var mode: Mode?
        var policyType: String?
        for assignment in ShellVariableFile(text).assignments {
            switch assignment.key {
            case "SELINUX": mode = Mode(rawValue: assignment.value.lowercased())
            case "SELINUXTYPE": policyType = assignment.value.isEmpty ? nil : assignment.value
            default: continue
            }
        }
        self.mode = mode
        self.policyType = policyType
    }

    /// Whether files need labels: the guest boots enforcing or permissive (a permissive guest still labels what
    /// it creates and relabels nothing at boot).
    public var labelsFiles: Bool { mode == .enforcing || mode == .permissive }

    /// The folder of the policy's file contexts inside the guest, when `SELINUXTYPE` names a plain folder
    /// name (no `/`, not `.` or `..`).
    public var fileContextsFolder: String? {
        guard let policyType, !policyType.contains("/"), policyType != ".", policyType != ".." else { return nil }
        return "/etc/selinux/\(policyType)/contexts/files"
    }
}
