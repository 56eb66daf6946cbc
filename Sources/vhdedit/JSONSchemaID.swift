import FoundationEssentials

/// The name and major version of one `--json` output shape, printed as its `"schema"` member
/// (`"vhdedit.check/1"`). The JSON Schema of each lives in `docs/schemas/NAME.schema.json`.
///
/// The rule (README, "JSON output"): adding a member keeps the major; removing a member, renaming it, changing
/// its type or its meaning bumps the major, so a pipeline can refuse a shape it was not written for.
struct JSONSchemaID: Sendable, Equatable {
    /// The output's name: the command, or `command-part` for a command with several shapes.
    let name: String
    /// The major version of the shape.
    let major: Int

    /// What the `"schema"` member holds: `vhdedit.NAME/MAJOR`.
    var identifier: String { "vhdedit.\(name)/\(major)" }

    static let info = JSONSchemaID(name: "info", major: 1)
    static let partitions = JSONSchemaID(name: "partitions", major: 1)
    static let ls = JSONSchemaID(name: "ls", major: 1)
    static let stat = JSONSchemaID(name: "stat", major: 1)
    static let inspect = JSONSchemaID(name: "inspect", major: 1)
    static let check = JSONSchemaID(name: "check", major: 1)
    static let generalize = JSONSchemaID(name: "generalize", major: 1)
    static let generalizeOperations = JSONSchemaID(name: "generalize-operations", major: 1)
    static let azurePrepare = JSONSchemaID(name: "azure-prepare", major: 1)
    static let kernelArgs = JSONSchemaID(name: "kernel-args", major: 1)
    static let kernelArgsEdit = JSONSchemaID(name: "kernel-args-edit", major: 1)
    static let configGet = JSONSchemaID(name: "config-get", major: 1)
    static let configEdit = JSONSchemaID(name: "config-edit", major: 1)
    static let batchItem = JSONSchemaID(name: "batch-item", major: 1)
    static let batchSummary = JSONSchemaID(name: "batch-summary", major: 1)
    static let recover = JSONSchemaID(name: "recover", major: 1)
    static let resize = JSONSchemaID(name: "resize", major: 1)
    static let convert = JSONSchemaID(name: "convert", major: 1)
}

/// A value encoded as a JSON object with a `"schema"` member added beside its own members.
///
/// The value must encode as a keyed container (an object); arrays are wrapped by their commands in an object
/// with a named member first (`ls` prints `{"schema": …, "entries": [...]}`).
struct SchemaStamped<Value: Encodable>: Encodable {
    /// The shape the value has.
    let schema: JSONSchemaID
    /// The command's own output.
    let value: Value

    private enum Key: String, CodingKey { case schema }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(schema.identifier, forKey: .schema)
    }
}

extension JSONOutput {
    /// Prints `value` as one JSON object with its `"schema"` member (see ``JSONSchemaID``).
    static func print<T: Encodable>(_ value: T, schema: JSONSchemaID, pretty: Bool = true) throws {
        try print(SchemaStamped(schema: schema, value: value), pretty: pretty)
    }
}
