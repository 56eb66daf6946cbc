/// Adds and removes kernel command-line arguments in a word list.
///
/// Rules (the seeds' and GRUB's): `key=value` replaces the same key (`rootdelay=300` replaces `rootdelay=10`),
/// except repeatable keys such as `console=` which are appended once; an argument already present with a
/// `,options` suffix (`console=ttyS0,115200n8`) counts as present. Removal is by bare name (`quiet`) or exact
/// `key=value` (`crashkernel=auto`).
enum KernelArgumentList {
    /// Keys that may appear several times.
    public static let repeatableKeys: Set<String> = ["console"]

    static func key(_ argument: String) -> String {
        argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
    }

    /// Whether `argument` is satisfied by `words` (exact, or `argument,options`).
    public static func contains(_ words: [String], _ argument: String) -> Bool {
        words.contains { $0 == argument || $0.hasPrefix(argument + ",") }
    }

    /// `words` with `remove` taken out and `add` put in.
    public static func edit(_ words: [String], add: [String], remove: [String]) -> [String] {
        var result = words.filter { word in
            !remove.contains { spec in spec.contains("=") ? word == spec : (word == spec || key(word) == spec) }
        }
        for argument in add where !contains(result, argument) {
            let k = key(argument)
            if argument.contains("="), !repeatableKeys.contains(k),
                let index = result.firstIndex(where: { key($0) == k && $0.contains("=") })
            {
                result[index] = argument
                result = result.enumerated().filter { $0.offset == index || key($0.element) != k }.map(\.element)
            } else {
                result.append(argument)
            }
        }
        return result
    }
}
