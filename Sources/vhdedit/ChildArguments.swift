import ArgumentParser

/// The arguments of a batch child (`vhdedit COMMAND ... IMAGE --json`), derived from the parsed command itself:
/// every `@Flag` and `@Option` of the command, as parsed, under its long name. An option added to a batch
/// command reaches its children without being listed anywhere; the batch options (``ImageBatchOptions``, an
/// `@OptionGroup`, and ``GuestRootOptions``) stay with the parent, which passes `--partition` and `--json` itself.
enum ChildArguments {
    /// `command`'s name and its flags and options, in declaration order.
    ///
    /// A `Bool` flag is passed when set, a counted flag as often as counted; an option when it has a value, a
    /// repeated option once per value. Values are spelled as typed: strings, numbers, `RawRepresentable`
    /// enums by their raw value, other types through ``ChildArgumentSpelling``. A property with no spelling
    /// stops the program with its name: the batch test runs every batch command with every option, so such a
    /// property cannot ship unnoticed.
    static func of<Command: ParsableCommand>(_ command: Command) -> [String] {
        var arguments = [Command.configuration.commandName ?? "\(Command.self)"]
        for property in Mirror(reflecting: command).children {
            guard let label = property.label, label.hasPrefix("_") else { continue }
            let name = "--" + longName(label.dropFirst())
            switch property.value {
            case is OptionGroup<ImageBatchOptions>, is OptionGroup<GuestRootOptions>, is OptionGroup<SandboxOptions>,
                is OptionGroup<GoldenImageOptions>:
                // The parent passes these on itself (ImageBatchOptions.runBatch: --partition, --force, --no-sandbox).
                continue
            case let flag as Flag<Bool>:
                if flag.wrappedValue { arguments.append(name) }
            case let flag as Flag<Int>:
                arguments += Array(repeating: name, count: flag.wrappedValue)
            case let option as any ParsedOption:
                guard let values = spelling(option.parsedValue) else {
                    preconditionFailure(
                        "\(Command.self).\(label): no batch child spelling for \(type(of: option.parsedValue))")
                }
                for value in values { arguments += [name, value] }
            default:
                preconditionFailure("\(Command.self).\(label): no batch child spelling for \(type(of: property.value))")
            }
        }
        return arguments
    }

    /// The command-line texts of an option's parsed value: none for `nil`, one per element of an array; `nil`
    /// when the type has no spelling here.
    static func spelling(_ value: Any) -> [String]? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return [] }
            return spelling(wrapped)
        }
        switch value {
        case let text as String: return [text]
        case let custom as any ChildArgumentSpelling: return [custom.childArgument]
        case let number as Int: return [String(number)]
        case let number as Double: return ["\(number)"]
        case let values as [Any]:
            var texts: [String] = []
            for element in values {
                guard let spelled = spelling(element) else { return nil }
                texts += spelled
            }
            return texts
        case let enumerated as any RawRepresentable: return ["\(enumerated.rawValue)"]
        default: return nil
        }
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

/// An argument type that says how to write a parsed value back on a command line (for batch children).
protocol ChildArgumentSpelling {
    /// The text that parses back to this value.
    var childArgument: String { get }
}

/// An `@Option` of any value type, read without knowing the type.
protocol ParsedOption {
    /// The option's parsed value (an `Optional` or an `Array` for optional and repeated options).
    var parsedValue: Any { get }
}

extension Option: ParsedOption {
    var parsedValue: Any { wrappedValue }
}
