import ArgumentParser
import HostSystem

/// `vhdedit completion bash|zsh|fish`: prints the shell completion script ArgumentParser generates from the
/// command definitions, so the script never drifts from the options.
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print the shell completion script for bash, zsh or fish.",
        discussion: """
            The script is generated from vhdedit's own command definitions (the same text as \
            'vhdedit --generate-completion-script SHELL'). The Debian package installs all three in their \
            standard folders; to try one in the current shell:

            Examples:
              source <(vhdedit completion bash)
              vhdedit completion zsh > "${fpath[1]}/_vhdedit"
              vhdedit completion fish > ~/.config/fish/completions/vhdedit.fish
            """)

    /// The shells ArgumentParser writes completion scripts for.
    enum Shell: String, CaseIterable, ExpressibleByArgument {
        case bash, zsh, fish
    }

    @Argument(help: "The shell: bash, zsh or fish.")
    var shell: Shell

    func run() throws {
        OutputCheck.install()
        // Every case of Shell is a shell ArgumentParser knows, so the conversion cannot fail.
        print(VHDEdit.completionScript(for: CompletionShell(rawValue: shell.rawValue)!))
    }
}
