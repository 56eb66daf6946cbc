public import GuestConfig

/// `vhdedit kernel-args` and `vhdedit config` as library calls: one edit of the guest's bootloader files or of
/// one key/value file, planned, printed as a diff, and committed as one unit (nothing written in a dry run).
public enum GuestConfigEdits {
    /// Adds and removes kernel arguments on every kernel line of every bootloader file the guest has.
    public static func kernelArguments(
        _ image: String, partition: Int? = nil, volume: String? = nil, add: [String], remove: [String], dryRun: Bool
    ) throws(ImagePrepError) -> PrepReport {
        _ = try BootloaderEdit.kernelArguments([:], add: add, remove: remove)  // validate the arguments first
        let operation = PrepOperation("kernel-args", default: true, "edit kernel arguments") {
            c throws(ImagePrepError) in
            let files = c.inspection.bootloaderFiles
            if files.isEmpty { c.note(.warning, "no bootloader configuration found") }
            var texts: [String: String] = [:]
            for file in files { texts[file.path] = try c.files.readText(file.path) }
            let outcome = try BootloaderEdit.kernelArguments(texts, add: add, remove: remove)
            for problem in outcome.problems { c.note(.warning, "not edited: \(problem.message)", path: problem.path) }
            for file in files {
                guard let edited = outcome.edited[file.path] else { continue }
                try c.edit(file.path, "kernel arguments (\(file.kind.rawValue))") { _ in edited }
            }
        }
        return try ImagePreparation.run(.kernelArgs, image, partition: partition, volume: volume, dryRun: dryRun) {
            files, inspection throws(ImagePrepError) in
            try plan(operation, files, inspection)
        }
    }

    /// Every kernel command line of every bootloader file the guest has, in the order ``OSInspector`` finds
    /// the files (what `vhdedit kernel-args IMAGE` lists). Nothing is written.
    public static func kernelCommandLines(
        _ image: String, partition: Int? = nil, volume: String? = nil
    ) throws(ImagePrepError)
        -> KernelCommandLines
    {
        let session = try GuestImage.openForPreparation(path: image, partition: partition, volume: volume)
        var lines: [KernelCommandLines.Line] = []
        for file in try OSInspector(files: session.files, disk: session.facts).bootloaderFiles() {
            let text = try session.files.readText(file.path) ?? ""
            for line in file.kind.commandLines(of: text, path: file.path) {
                lines.append(.init(path: file.path, kind: file.kind, line: line.line, arguments: line.words))
            }
        }
        return KernelCommandLines(image: image, commandLines: lines)
    }

    /// The values of `keys` in the key/value file `path` (waagent.conf or a sysconfig-style file); for
    /// waagent.conf, absent keys give the agent's default.
    public static func get(
        _ image: String, partition: Int? = nil, volume: String? = nil, path: String, keys: [String]
    ) throws(ImagePrepError)
        -> [(key: String, value: String?)]
    {
        let session = try GuestImage.openForPreparation(path: image, partition: partition, volume: volume)
        guard let text = try session.files.readText(path) else {
            throw ImagePrepError(.notFound, "no such file in the guest", path: path, image: image)
        }
        let file = try open(path, text)
        return keys.map { ($0, file.effectiveValue(of: $0)) }
    }

    /// Checks, without an image, that `set(_:partition:path:assignments:dryRun:)` accepts `path` and
    /// `assignments` (a key/value file kind, `KEY=VALUE` words, valid keys and values for waagent.conf).
    ///
    /// - Throws: ``ImagePrepError/Code/invalidArgument`` naming the path and the assignment at fault.
    public static func checkAssignments(path: String, _ assignments: [String]) throws(ImagePrepError) {
        var probe = try open(path, "")
        do { try probe.apply(assignments: assignments) } catch {
            throw Self.argumentError(error, path: path)
        }
    }

    /// Checks, without an image, that `path` is a file kind `get`/`unset` edit.
    public static func checkPath(_ path: String) throws(ImagePrepError) { _ = try open(path, "") }

    /// Sets `KEY=VALUE` assignments in `path` (created when missing and its folder exists).
    public static func set(
        _ image: String, partition: Int? = nil, volume: String? = nil, path: String, assignments: [String], dryRun: Bool
    )
        throws(ImagePrepError) -> PrepReport
    {
        try checkAssignments(path: path, assignments)
        // Validated above on an empty file; the same assignments cannot fail on the guest's.
        return try edit(image, partition: partition, volume: volume, path: path, dryRun: dryRun) {
            file throws(ImagePrepError) in
            _ = try? file.apply(assignments: assignments)
        }
    }

    /// Removes `keys` from `path`.
    public static func unset(
        _ image: String, partition: Int? = nil, volume: String? = nil, path: String, keys: [String], dryRun: Bool
    )
        throws(ImagePrepError) -> PrepReport
    {
        _ = try open(path, "")
        return try edit(image, partition: partition, volume: volume, path: path, dryRun: dryRun) {
            file throws(ImagePrepError) in
            for key in keys { file.unset(key) }
        }
    }

    /// A GuestConfig refusal of an argument for `path`, with the path said once (it was message, then the
    /// same message again with the path as the cause).
    static func argumentError(_ error: GuestConfigError, path: String) -> ImagePrepError {
        var reason = error
        if reason.path == path { reason.path = nil }
        return ImagePrepError(.invalidArgument, reason.description, path: path)
    }

    static func open(_ path: String, _ text: String) throws(ImagePrepError) -> KeyValueConfigFile {
        do { return try KeyValueConfigFile(path: path, text: text) } catch {
            throw Self.argumentError(error, path: path)
        }
    }

    static func edit(
        _ image: String, partition: Int?, volume: String? = nil, path: String, dryRun: Bool,
        _ change: @escaping @Sendable (inout KeyValueConfigFile) throws(ImagePrepError) -> Void
    ) throws(ImagePrepError) -> PrepReport {
        let operation = PrepOperation("config", default: true, "edit \(path)") { c throws(ImagePrepError) in
            if let text = try c.files.readText(path) {
                var file = try open(path, text)
                try change(&file)
                for finding in file.result.findings { c.note(.warning, finding.description, path: path) }
                let edited = file.result.edited
                try c.edit(path, "requested edit") { _ in edited }
            } else {
                var file = try open(path, "")
                try change(&file)
                try c.create(path, file.result.edited, "requested edit (new file)")
            }
        }
        return try ImagePreparation.run(.config, image, partition: partition, volume: volume, dryRun: dryRun) {
            files, inspection throws(ImagePrepError) in
            try plan(operation, files, inspection)
        }
    }

    static func plan(
        _ operation: PrepOperation, _ files: any GuestFiles, _ inspection: GuestInspection
    ) throws(ImagePrepError)
        -> (operations: [String], changes: [PlannedChange], findings: [Finding])
    {
        let staged = StagedGuestFiles(base: files)
        let context = PlanContext(
            files: staged, inspection: inspection, agent: try AgentSettings.read(from: files), userToDelete: nil)
        try operation.plan(in: context)
        return ([operation.name], staged.changes, context.findings)
    }
}

/// The kernel command lines of an image's bootloader files (`GuestConfigEdits/kernelCommandLines(_:partition:)`).
/// Codable: `vhdedit kernel-args IMAGE --json` prints it.
public struct KernelCommandLines: Codable, Sendable, Equatable {
    /// One kernel command line.
    public struct Line: Codable, Sendable, Equatable {
        /// The guest file (symlinks resolved).
        public var path: String
        /// What kind of bootloader file it is.
        public var kind: BootloaderFile.Kind
        /// The 1-based line number of the command line in `path` (0 when the file has no such line).
        public var line: Int
        /// The arguments, as written (quotes kept).
        public var arguments: [String]
    }

    /// The image as given.
    public var image: String
    /// Every command line, file by file.
    public var commandLines: [Line]
}
