/// Offline deprovisioning: plans (and applies) what `waagent -deprovision[+user]` does inside a running VM,
/// plus opt-in extras, on an unmounted guest.
///
/// The default operations are the agent's, gated by the image's own `/etc/waagent.conf`. Each operation
/// plans only what changes something, so a second run finds nothing to do.
public enum Generalizer {
    /// Every operation, defaults first, in the order they run.
    public static let catalog: [PrepOperation] =
        DeprovisionOperations.all + CleanupOperations.all + SecretOperations.all + [SELinuxOperations.relabel]

    /// What to do.
    public struct Options: Sendable, Equatable {
        /// The operations to run (`--only`, `--skip`).
        public var selection: OperationSelection
        /// Delete the provisioned user (`--delete-user`).
        public var deleteUser: Bool
        /// The user to delete instead of ovf-env.xml's `UserName` (`--user`); implies `deleteUser`.
        public var user: String?
        /// More users to delete (`--user` repeated, or a comma list); implies `deleteUser`.
        public var users: [String]

        /// Options; the defaults are what `vhdedit generalize` does without flags.
        /// - Parameters:
        /// - selection: The operations to run.
        /// - deleteUser: Whether to delete the provisioned user.
        /// - user: The user to delete instead of the provisioned one.
        /// - users: More users to delete.
        public init(
            selection: OperationSelection = OperationSelection(), deleteUser: Bool = false, user: String? = nil,
            users: [String] = []
        ) {
            self.selection = selection
            self.deleteUser = deleteUser
            self.user = user
            self.users = users
        }

        /// Every user named (`user` first), each once.
        public var namedUsers: [String] {
            var seen = Set<String>()
            return ([user].compactMap { $0 } + users).filter { seen.insert($0).inserted }
        }
    }

    /// The operations `options` choose.
    public static func operations(for options: Options) throws(ImagePrepError) -> [PrepOperation] {
        let deleting = options.deleteUser || !options.namedUsers.isEmpty
        if deleting && options.selection.skip.contains("delete-user") {
            throw ImagePrepError(
                .invalidArgument,
                "--\(!options.namedUsers.isEmpty ? "user" : "delete-user") asks for delete-user, which --skip removes")
        }
        var chosen = try options.selection.select(from: catalog, allowingNone: deleting)
        if deleting, !chosen.contains(where: { $0.name == "delete-user" }) {
            chosen = catalog.filter { op in op.name == "delete-user" || chosen.contains { $0.name == op.name } }
        }
        return chosen
    }

    /// Plans the run over `files` (nothing is written): the changes, in order, and the findings.
    public static func plan(
        files: any GuestFiles, inspection: GuestInspection, options: Options
    ) throws(ImagePrepError) -> (operations: [String], changes: [PlannedChange], findings: [Finding]) {
        let chosen = try operations(for: options)
        let agent = try AgentSettings.read(from: files)
        var users = options.namedUsers
        if users.isEmpty, options.deleteUser, let found = try ProvisionedUser.find(files) { users = [found] }
        let staged = StagedGuestFiles(base: files)
        let context = PlanContext(files: staged, inspection: inspection, agent: agent, userToDelete: users.first)
        context.usersToDelete = users
        context.namedOperations = Set((options.selection.only ?? []).filter { $0 != "defaults" && $0 != "all" })
        if agent.path == nil {
            context.operation = "waagent-conf"
            context.note(
                .info,
                "no /etc/waagent.conf: the agent's code defaults apply (RegenerateSshHostKeyPair=n, DeleteRootPassword=n)"
            )
        }
        for operation in chosen { try operation.plan(in: context) }
        return (chosen.map(\.name), staged.changes, context.findings)
    }
}

/// Replays planned changes on a real guest filesystem, in order.
public enum PlanApplier {
    /// Applies `changes` to `files`.
    ///
    /// - Throws: the first error; earlier changes stay applied in `files`, so callers run this inside an edit
    ///   session that commits only on success (``GuestImage/openForPreparation(path:partition:volume:writable:)``).
    public static func apply(_ changes: [PlannedChange], to files: any GuestFiles) throws(ImagePrepError) {
        for change in changes {
            switch change.action {
            case .delete: try files.removeFile(change.path)
            case .deleteTree: try files.removeTree(change.path)
            case .truncate: try files.writeFile(change.path, contents: [], newFileMode: 0o644)
            case .symlink:
                try files.makeSymlink(change.path, target: String(decoding: change.contents ?? [], as: UTF8.self))
            case .rewrite, .create:
                try files.writeFile(
                    change.path, contents: change.contents ?? [], newFileMode: change.newFileMode ?? 0o644)
            }
        }
    }
}
