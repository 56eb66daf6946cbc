/// What every editor of this module offers: the current text and the result of the edits so far.
///
/// Editors are value types: create one from the file's text, call its mutating edit methods (each returns
/// whether it changed the text), then read ``result`` for the new text, the findings and the diff.
public protocol ConfigFileEditor: Sendable {
    /// The text after the edits made so far.
    var text: String { get }
    /// The original and edited text, with findings; ``ConfigEditResult/unifiedDiff(context:)`` renders it.
    var result: ConfigEditResult { get }
}

extension ShellVariableFile: DocumentEditor {}
extension Grub2Defaults: ConfigFileEditor {}
extension GrubLegacyMenu: DocumentEditor {}
extension Grub2Config: DocumentEditor {}
extension BootLoaderSpecEntry: DocumentEditor {}
extension GrubEnvironmentBlock: ConfigFileEditor {}
extension SudoersFile: DocumentEditor {}
extension WaagentConfiguration: DocumentEditor {}
extension SSHDaemonConfig: DocumentEditor {}
extension AccountDatabase: DocumentEditor {}
extension DhclientConfig: DocumentEditor {}
extension KeyValueConfigFile: ConfigFileEditor {
    /// The text after the edits made so far.
    public var text: String { result.edited }
}
