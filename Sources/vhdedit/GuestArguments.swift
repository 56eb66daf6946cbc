import ArgumentParser

/// Octal permission bits typed on the command line (`644`, `0755`, `4755`), parsed once, with the arguments.
///
/// A value that is not octal bits up to 7777 is kept as its usage error, which the command's `validate()`
/// throws (``validate()``): the message names the rule ("mode must be octal permission bits up to 7777"),
/// which ArgumentParser's own "invalid value" message would not.
struct ModeArgument: ExpressibleByArgument, Sendable {
    /// The bits, or why the text is not a mode.
    let parsed: Result<UInt16, ValidationError>

    init(argument: String) {
        parsed = Result { () throws(ValidationError) in try GuestCommand.mode(argument) }
    }

    /// The permission bits (after ``validate()``, never throws).
    var bits: UInt16 { get throws { try parsed.get() } }

    /// Throws the usage error of a value that is not a mode.
    func validate() throws { _ = try parsed.get() }
}

/// A numeric owner typed on the command line (`UID:GID`, `UID:` or `:GID`), parsed once, with the arguments;
/// a bad value is kept as its usage error, as ``ModeArgument`` does.
struct OwnerArgument: ExpressibleByArgument, Sendable {
    /// The user and group ids (at least one), or why the text is not an owner.
    let parsed: Result<(uid: UInt32?, gid: UInt32?), ValidationError>

    init(argument: String) {
        parsed = Result { () throws(ValidationError) in try GuestCommand.owner(argument) }
    }

    /// The user id, when given.
    var uid: UInt32? { get throws { try parsed.get().uid } }
    /// The group id, when given.
    var gid: UInt32? { get throws { try parsed.get().gid } }

    /// Throws the usage error of a value that is not an owner.
    func validate() throws { _ = try parsed.get() }
}
