internal import GuestConfig

/// The opt-in operation that asks an SELinux guest to relabel its whole filesystem at first boot
/// (`/.autorelabel`, read by the guest's init scripts or `selinux-autorelabel` service), for users who changed
/// the image with other tools too. Files vhdedit creates itself are labelled as it writes them
/// (``GuestSELinuxLabeler``); this is the belt to those braces.
public enum SELinuxOperations {
    /// The guest file whose presence makes the guest relabel everything at the next boot, then delete it.
    public static let autorelabelPath = "/.autorelabel"

    /// `selinux-relabel`: in the catalogs of generalize and azure-prepare, never run by default
    /// (`--selinux-relabel` or `--only selinux-relabel`).
    public static let relabel = PrepOperation(
        "selinux-relabel", default: false,
        "create /.autorelabel so that an SELinux guest relabels every file at first boot (not by default)"
    ) { c throws(ImagePrepError) in
        guard let text = try c.files.readText(GuestSELinuxLabeler.configPath) else {
            c.note(.info, "no /etc/selinux/config: the guest does not use SELinux; nothing to relabel")
            return
        }
        let config = SELinuxConfig(text)
        guard config.labelsFiles else {
            c.note(
                .info, "SELinux is \(config.mode?.rawValue ?? "not set") in /etc/selinux/config: nothing to relabel",
                path: GuestSELinuxLabeler.configPath)
            return
        }
        try c.create(autorelabelPath, "", "SELinux is \(config.mode!.rawValue): relabel every file at first boot")
    }
}

extension OperationSelection {
    /// This selection with `selinux-relabel` added (to the defaults when nothing was chosen): what
    /// `--selinux-relabel` means on generalize and azure-prepare.
    public func addingRelabel() -> OperationSelection {
        OperationSelection(only: (only ?? ["defaults"]) + [SELinuxOperations.relabel.name], skip: skip)
    }
}
