import ArgumentParser

/// The arguments of a batch child (`vhdedit COMMAND ... IMAGE --json`), derived from the parsed command itself:
/// every `@Flag` and `@Option` of the command, as parsed, under its long name. An option added to a batch
/// command reaches its children without being listed anywhere; the batch options (``ImageBatchOptions``, an
/// `@OptionGroup`) stay with the parent, which passes `--partition` and `--json` itself.
enum ChildArguments {
    /// `command`'s name and its flags and options, in declaration order.
    ///
    /// A flag is passed when set; an option when it has a value. A property of a form with no argument
    /// spelling here (a new wrapper or value type) stops the program with its name: the batch test runs every
    /// batch command with every option, so such a property cannot ship unnoticed.
    static func of<Command: ParsableCommand>(_ command: Command) -> [String] {
        var arguments = [Command.configuration.commandName ?? "\(Command.self)"]
        for property in Mirror(reflecting: command).children {
            guard let label = property.label, label.hasPrefix("_") else { continue }
            let name = "--" + longName(label.dropFirst())
            switch property.value {
            case is OptionGroup<ImageBatchOptions>:
                continue
            case let flag as Flag<Bool>:
                if flag.wrappedValue { arguments.append(name) }
            case let option as Option<String?>:
                if let value = option.wrappedValue { arguments += [name, value] }
            case let option as Option<String>:
                arguments += [name, option.wrappedValue]
            case let option as Option<Int?>:
                if let value = option.wrappedValue { arguments += [name, String(value)] }
            case let option as Option<Int>:
                arguments += [name, String(option.wrappedValue)]
            default:
                preconditionFailure("\(Command.self).\(label): no batch child spelling for \(type(of: property.value))")
            }
        }
        return arguments
    }

    /// A property name as ArgumentParser spells it on the command line by default: `deleteUser` → `delete-user`.
    static func longName(_ property: Substring) -> String {
        var name = ""
        for character in property {
            if character.isUppercase {
                if !name.isEmpty { name.append("-") }
                name += character.lowercased()
            } else {
                name.append(character)
            }
        }
        return name
    }
}
