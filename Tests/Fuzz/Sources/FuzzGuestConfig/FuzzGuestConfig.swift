import CFuzzer
import FuzzSupport
import GuestConfig

/// The fixed kernel argument edit the boot-loader cases apply, made once (not per input).
let kernelEdit: KernelArgumentEdit = {
    guard
        let edit = try? KernelArgumentEdit(
            add: ["console=ttyS0", "earlyprintk=ttyS0", "rootdelay=300"], remove: ["rhgb", "quiet", "crashkernel=auto"])
    else { preconditionFailure("the fixed kernel argument edit is valid") }
    return edit
}()

/// Fuzzes the GuestConfig parsers and editors: the first input byte picks the file kind, the rest is its text.
/// Besides "no crash, no hang", each edit must be idempotent: applying it to its own output changes nothing.
@_cdecl("LLVMFuzzerTestOneInput")  // libFuzzer's own main references it; the driver gets it from `_main`
public func fuzzGuestConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let text = String(decoding: input.dropFirst(), as: UTF8.self)
    switch selector % 10 {
    case 0:
        var file = WaagentConfiguration(text)
        _ = file.effectiveValue(of: "Provisioning.SshHostKeyPairType")
        _ = try? file.set("ResourceDisk.Format", to: "n")
        _ = file.unset("ResourceDisk.EnableSwap")
        let once = file.text
        _ = try? file.set("ResourceDisk.Format", to: "n")
        _ = file.unset("ResourceDisk.EnableSwap")
        precondition(file.text == once, "waagent.conf edit is not idempotent")
        _ = file.result.unifiedDiff()
    case 1:
        var file = ShellVariableFile(text)
        _ = try? file.set("BOOTPROTO", to: "dhcp")
        _ = file.unset("HWADDR")
        let once = file.text
        _ = try? file.set("BOOTPROTO", to: "dhcp")
        _ = file.unset("HWADDR")
        precondition(file.text == once, "shell variable edit is not idempotent")
        _ = file.result.unifiedDiff()
    case 2:
        var file = SudoersFile(text)
        _ = file.includes
        _ = file.disableTargetpw()
        let once = file.text
        _ = file.disableTargetpw()
        precondition(file.text == once, "sudoers targetpw edit is not idempotent")
        _ = file.removeRules(forUser: "azureuser")
    case 3:
        var file = SSHDaemonConfig(text)
        _ = file.includes
        _ = try? file.setClientAliveInterval()
        let once = file.text
        _ = try? file.setClientAliveInterval()
        precondition(file.text == once, "sshd_config edit is not idempotent")
    case 4:
        let kinds = AccountFileKind.allCases
        var file = AccountDatabase(text, kind: kinds[input.count % kinds.count])
        _ = file.records
        _ = try? file.lockRootPassword(.waagent)
        _ = file.removeUser("azureuser")
        let once = file.text
        _ = try? file.lockRootPassword(.waagent)
        _ = file.removeUser("azureuser")
        precondition(file.text == once, "account edit is not idempotent")
    case 5:
        var menu = GrubLegacyMenu(text)
        _ = menu.entries
        _ = try? menu.setTimeout(5)
        _ = menu.editKernelArguments(kernelEdit)
        let once = menu.text
        _ = menu.editKernelArguments(kernelEdit)
        precondition(menu.text == once, "menu.lst kernel argument edit is not idempotent")
    case 6:
        var config = Grub2Config(text)
        _ = config.editKernelArguments(kernelEdit)
        let once = config.text
        _ = config.editKernelArguments(kernelEdit)
        precondition(config.text == once, "grub.cfg kernel argument edit is not idempotent")
    case 7:
        let first = kernelEdit.apply(to: text)
        precondition(
            kernelEdit.apply(to: first.commandLine).commandLine == first.commandLine,
            "kernel argument edit is not idempotent")
        _ = KernelCommandLine(text)
    case 8:
        var defaults = Grub2Defaults(text)
        _ = defaults.editKernelArguments(kernelEdit)
        _ = try? defaults.setTimeout(1)
        var entry = BootLoaderSpecEntry(text)
        _ = entry.value(of: "options")
        if var block = try? GrubEnvironmentBlock(text) { _ = try? block.editKernelArguments(kernelEdit) }
        _ = kernelEdit.apply(toBootloaderFiles: ["/boot/grub/menu.lst": text, "/etc/default/grub": text])
        let lineCount = ConfigText(text).lines.count
        for kind in BootloaderFileKind.allCases {
            for line in kind.commandLines(of: text, path: "/f") {
                precondition(line.line >= 0 && line.line <= lineCount, "command line number out of range")
            }
        }
    case 9 where input.count % 2 == 0:
        // cloud-config: the bounded YAML reader and the resource-disk judgement over it (as a base file and as
        // the CLOUD_CFG file), and systemd's DefaultEnvironment.
        // The text is read once for the swap and the resource-disk judgements (the text overloads only read
        // it first; the reading is what is fuzzed), as the base file and as the CLOUD_CFG file.
        let yaml = CloudConfigYAML(text)
        _ = CloudConfigSwap.declaration(in: yaml)
        let read = (path: "/etc/cloud/cloud.cfg", document: yaml)
        _ = CloudInitResourceDisk(read: [read], environment: read).findings
        _ = SystemdDefaultEnvironment([("/etc/systemd/system.conf", text)]).variables
    default:
        _ = OSRelease(text)
        _ = FilesystemTable(text)
        var dhclient = DhclientConfig(text)
        _ = try? dhclient.sendHostName("localhost")
        _ = DpkgStatus(text).installedVersions(prefix: "linux-image-")
        for command in ModprobeConfig(text).disabling(["udf", "vfat"]) {
            precondition(
                command.line >= 1 && ["blacklist", "install"].contains(command.verb), "modprobe command out of range")
        }
        _ = ResolvConf(text).nameserverLines
    }
    return 0
}

@_cdecl("FuzzGuestConfig_main")
public func fuzzGuestConfigMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { fuzzGuestConfig($0, $1) }
}
