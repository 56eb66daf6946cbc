import ArgumentParser
import Glibc
import HostSystem

/// The process entry point: a command line made only of plain words that ``DirectDispatch`` knows runs
/// directly; everything else goes through ArgumentParser (``VHDEdit``).
@main
enum VHDEditMain {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        OpenNotices.install()
        if !DirectDispatch.run(arguments) { VHDEdit.main() }
    }
}

/// Runs `vhdedit cat IMAGE PATH`, `vhdedit --version` and a simple `vhdedit resize` line
/// (``ResizeCommand/DirectLine``) without building ArgumentParser's command tree.
///
/// ArgumentParser builds the whole tree of subcommands, reflects each parsed command's properties with `Mirror`
/// and parses the line a second time looking for `--generate-completion-script`; its casts make the Swift
/// runtime scan every protocol conformance record of the binary, several times. That is most of a small
/// `cat`'s start-up. A line whose every argument is a plain word (not empty, not starting with `-`) can only
/// mean one thing to ArgumentParser — the subcommand, then its positional arguments in order, no options — so it
/// is run here with the same values and the same function the parsed command calls. `resize` is the one
/// command read here with options (``ResizeCommand/DirectLine``: a fixed, small set; it has a speed target).
/// Any other line (options, `--help`, a wrong number of arguments, another command) is left to ArgumentParser.
enum DirectDispatch {
    /// Runs `arguments` (without the program name) when they are exactly `--version`, a plain
    /// `cat IMAGE PATH` or a simple `resize` line; exits with status 1 after a reported failure. Returns `false`
    /// when ArgumentParser has to handle the line.
    static func run(_ arguments: [String]) -> Bool {
        if arguments == ["--version"] {
            // What ArgumentParser prints for the root command's version flag.
            OutputCheck.install()
            print(VHDEdit.configuration.version)
            return true
        }
        if let resize = ResizeCommand.DirectLine(arguments) {
            runReportingExit { try resize.run() }
            return true
        }
        guard arguments.count == 3, arguments[0] == "cat", arguments.dropFirst().allSatisfy(isPlainWord) else {
            return false
        }
        runReportingExit { try CatCommand.run(image: arguments[1], partition: nil, path: arguments[2]) }
        return true
    }

    /// Runs a command's body as ArgumentParser would: exit status from an `ExitCode`, any other error reported.
    private static func runReportingExit(_ body: () throws -> Void) {
        do {
            try body()
        } catch let exit as ExitCode {
            Glibc.exit(exit.rawValue)
        } catch {
            // `run` reports every error itself and throws only ExitCode; keep ArgumentParser's last resort.
            VHDEdit.exit(withError: error)
        }
    }

    /// A word ArgumentParser can only take as a positional value: not empty, not an option or `--`, and not
    /// the name `help`, which it treats specially.
    static func isPlainWord(_ word: String) -> Bool {
        guard let first = word.utf8.first else { return false }
        return first != UInt8(ascii: "-") && word != "help"
    }
}
