/// Edits of sysconfig network files (`ifcfg-*`, `/etc/sysconfig/network`, `/etc/sysconfig/network/dhcp`) that
/// generalization needs, on top of ``ShellVariableFile``.
public enum SysconfigNetwork {
    /// The ifcfg-eth0 the Azure RHEL preparation guide asks for (generalize.md §a.3), in this order.
    public static let azureEthernetTemplate: [(key: String, value: String)] = [
        ("DEVICE", "eth0"), ("ONBOOT", "yes"), ("BOOTPROTO", "dhcp"), ("TYPE", "Ethernet"), ("USERCTL", "no"),
        ("PEERDNS", "yes"), ("IPV6INIT", "no"),
    ]

    /// The text of a new ifcfg file for `device` from `template` (`DEVICE` is set to `device`).
    ///
    /// - Throws: `GuestConfigError.invalidArgument` for a device name that is not a plain interface name.
    public static func ifcfg(
        device: String = "eth0", template: [(key: String, value: String)] = azureEthernetTemplate
    ) throws(GuestConfigError) -> String {
        guard !device.isEmpty, device.count <= 15,
            device.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-:".contains($0)) })
        else { throw GuestConfigError(.invalidArgument, "not an interface name", field: device) }
        var file = ShellVariableFile("")
        for (key, value) in template { try file.set(key, to: key == "DEVICE" ? device : value) }
        return file.text
    }

    /// Removes `HWADDR` (and `MACADDR`) so the file no longer pins the interface to one MAC address
    /// (virt-sysprep `net-hwaddr`).
    public static func removingHardwareAddress(_ text: String, path: String? = nil) -> ConfigEditResult {
        var file = ShellVariableFile(text, path: path)
        file.unset("HWADDR")
        file.unset("MACADDR")
        return file.result
    }

    /// Removes `HOSTNAME` and `DHCP_HOSTNAME` (virt-sysprep `net-hostname`).
    public static func removingHostname(_ text: String, path: String? = nil) -> ConfigEditResult {
        var file = ShellVariableFile(text, path: path)
        file.unset("HOSTNAME")
        file.unset("DHCP_HOSTNAME")
        return file.result
    }
}
