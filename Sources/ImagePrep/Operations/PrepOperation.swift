import GuestConfig

/// One named step of a generalize or azure-prepare run (`ssh-hostkeys`, `kernel-args`...): it looks at the
/// staged guest and plans the changes it needs, or none when the guest is already right.
public struct PrepOperation: Sendable {
    /// The name used by `--only` and `--skip`.
    public let name: String
    /// One sentence saying what it does.
    public let summary: String
    /// Whether a run without `--only` includes it.
    public let isDefault: Bool
    let body: @Sendable (PlanContext) throws(ImagePrepError) -> Void

    init(
        _ name: String, default isDefault: Bool, _ summary: String,
        _ body: @escaping @Sendable (PlanContext) throws(ImagePrepError) -> Void
    ) {
        self.name = name
        self.summary = summary
        self.isDefault = isDefault
        self.body = body
    }

    /// Plans this operation's changes into `context`.
    public func plan(in context: PlanContext) throws(ImagePrepError) {
        context.operation = name
        try body(context)
    }
}

/// Chooses operations by name: `only` (names, or the words `defaults` and `all`) replaces the default set,
/// `skip` removes names from it.
public struct OperationSelection: Sendable, Equatable {
    /// The names to run instead of the defaults (`defaults` and `all` allowed), or `nil` for the defaults.
    public var only: [String]?
    /// The names to leave out.
    public var skip: [String]

    /// A selection: the defaults, or `only`, minus `skip`.
    public init(only: [String]? = nil, skip: [String] = []) {
        self.only = only
        self.skip = skip
    }

    /// The chosen operations from `catalog`, in catalog order.
    ///
    /// - Parameter allowingNone: accept a selection that leaves nothing (the caller adds an operation itself).
    /// - Parameter catalog: the operations to choose from, in the order they run.
    /// - Throws: ``ImagePrepError/Code/invalidArgument`` naming an unknown operation, or when `skip` leaves
    ///   nothing of `only` (a run that would look at nothing and say "nothing to do").
    public func select(
        from catalog: [PrepOperation], allowingNone: Bool = false
    ) throws(ImagePrepError) -> [PrepOperation] {
        let known = Set(catalog.map(\.name))
        var chosen = Set(catalog.filter(\.isDefault).map(\.name))
        if let only {
            chosen = []
            for name in only {
                switch name {
                case "defaults": chosen.formUnion(catalog.filter(\.isDefault).map(\.name))
                case "all": chosen.formUnion(known)
                default:
                    guard known.contains(name) else { throw Self.unknown(name, known) }
                    chosen.insert(name)
                }
            }
        }
        for name in skip {
            guard known.contains(name) else { throw Self.unknown(name, known) }
            chosen.remove(name)
        }
        if chosen.isEmpty && !allowingNone {
            throw ImagePrepError(.invalidArgument, "no operation left to run: --skip removes every operation chosen")
        }
        return catalog.filter { chosen.contains($0.name) }
    }

    static func unknown(_ name: String, _ known: Set<String>) -> ImagePrepError {
        ImagePrepError(
            .invalidArgument,
            "unknown operation '\(name)' (known: \(known.sorted().joined(separator: ", ")), defaults, all)")
    }

    /// Parses a comma-separated list (`a,b,c`).
    public static func names(_ list: String) -> [String] {
        list.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    }
}
