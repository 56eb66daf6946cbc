/// The main job as library calls, one image at a time: inspect, generalize, azure-prepare, check.
///
/// Each call opens the image, finds its Linux root, does its work and closes it. A dry run opens the image
/// read-only and never writes a byte. A real run opens it for writing, plans, applies and commits once — all
/// or nothing; when there is nothing to do it commits nothing and the image is unchanged.
public enum ImagePreparation {
    /// What `vhdedit inspect` prints.
    public struct InspectReport: Codable, Sendable, Equatable {
        /// The host image.
        public var image: String
        /// The container and its partitions.
        public var disk: DiskFacts
        /// What the guest's files say it is.
        public var guest: GuestInspection
        /// What opening the image found that a reader should know (a journal that needs recovery: what was
        /// read may be stale; a VHD footer read from its copy; a damaged partition table).
        public var findings: [Finding]
    }

    /// Inspects the image at `path`.
    public static func inspect(
        _ path: String, partition: Int? = nil, volume: String? = nil
    ) throws(ImagePrepError) -> InspectReport {
        let session = try GuestImage.openForPreparation(path: path, partition: partition, volume: volume)
        let guest = try OSInspector(files: session.files, disk: session.facts).inspect()
        return InspectReport(image: path, disk: session.facts, guest: guest, findings: session.findings)
    }

    /// Generalizes the image at `path` (see ``Generalizer``).
    public static func generalize(
        _ path: String, partition: Int? = nil, volume: String? = nil,
        options: Generalizer.Options = Generalizer.Options(), dryRun: Bool
    ) throws(ImagePrepError) -> PrepReport {
        try run(.generalize, path, partition: partition, volume: volume, dryRun: dryRun) {
            files, inspection throws(ImagePrepError) in
            try Generalizer.plan(files: files, inspection: inspection, options: options)
        }
    }

    /// Applies the Azure preparation checklist to the image at `path` (see ``AzurePreparer``).
    public static func azurePrepare(
        _ path: String, partition: Int? = nil, volume: String? = nil,
        selection: OperationSelection = OperationSelection(), dryRun: Bool
    ) throws(ImagePrepError) -> PrepReport {
        try run(.azurePrepare, path, partition: partition, volume: volume, dryRun: dryRun) {
            files, inspection throws(ImagePrepError) in
            try AzurePreparer.plan(files: files, inspection: inspection, selection: selection)
        }
    }

    /// Applies the Azure preparation checklist with `options` (swap, rootdelay) to the image at `path`.
    public static func azurePrepare(
        _ path: String, partition: Int? = nil, volume: String? = nil, options: AzurePreparer.Options, dryRun: Bool
    ) throws(ImagePrepError) -> PrepReport {
        try run(.azurePrepare, path, partition: partition, volume: volume, dryRun: dryRun) {
            files, inspection throws(ImagePrepError) in
            try AzurePreparer.plan(files: files, inspection: inspection, options: options)
        }
    }

    /// Checks the image at `path` against Azure's requirements (see ``ReadinessChecker``).
    public static func check(
        _ path: String, partition: Int? = nil, volume: String? = nil
    ) throws(ImagePrepError) -> ReadinessReport {
        try checked(path, partition: partition, volume: volume).report
    }

    /// ``check(_:partition:volume:)``'s report and the disk facts it was made from, from one open of the image
    /// (a second open would come after a sandboxed command's lock-down).
    static func checked(
        _ path: String, partition: Int?, volume: String?
    ) throws(ImagePrepError)
        -> (report: ReadinessReport, facts: DiskFacts)
    {
        let session = try GuestImage.openForPreparation(path: path, partition: partition, volume: volume)
        let inspection = try OSInspector(files: session.files, disk: session.facts).inspect()
        var report = try ReadinessChecker(files: session.files, disk: session.facts, inspection: inspection).check(
            image: path)
        let state = session.filesystem.warnings
        report.results.insert(
            CheckResult(
                "fs.state", state.isEmpty ? .pass : .warn,
                "the root filesystem is clean (no journal to replay, no errors)",
                state.isEmpty ? "clean" : state.map(\.message).joined(separator: "; ")), at: 0)
        report.results.append(try SELinuxLabelAudit.result(filesystem: session.filesystem))
        // What the VHD reader had to work around (a damaged trailing footer read from its copy, ...): Azure
        // reads the trailing footer only, so say so beside the VHD-level verdicts.
        let structureWarnings = session.image.vhd?.warnings ?? []
        if !structureWarnings.isEmpty {
            report.results.insert(
                CheckResult(
                    "vhd.structure", .warn, "the VHD's footer and headers are intact",
                    structureWarnings.joined(separator: "; "), path: "vhd"), at: 1)
        }
        // Everything above was read through a pending edit journal: the file that would be uploaded is torn.
        for pending in session.image.pendingEdits.reversed() {
            report.results.insert(
                CheckResult(
                    "image.pending-edit", .fail,
                    "the image file is whole on its own (no interrupted commit pending in an edit journal)",
                    "\(pending.image) is torn until \(pending.journal) (\(pending.records) records, sealed) is "
                        + "applied; the verdicts below describe the committed image, not the file; \(pending.remedy)",
                    path: pending.journal), at: 0)
        }
        return (report, session.facts)
    }

    typealias Planner = (any GuestFiles, GuestInspection) throws(ImagePrepError) -> (
        operations: [String], changes: [PlannedChange], findings: [Finding]
    )

    static func run(
        _ kind: PrepReport.Kind, _ path: String, partition: Int?, volume: String? = nil, dryRun: Bool,
        _ planner: Planner
    ) throws(ImagePrepError) -> PrepReport {
        // A dry run reads only (shared lock). A real run takes the exclusive lock once: every write of the session
        // stays in the image's edit journal until commit, so planning nothing and dropping the session leaves
        // the image byte for byte as it was.
        let session = try GuestImage.openForPreparation(
            path: path, partition: partition, volume: volume, writable: !dryRun)
        let inspection = try OSInspector(files: session.files, disk: session.facts).inspect()
        let plan = try planner(session.files, inspection)
        if !dryRun && !plan.changes.isEmpty {
            try PlanApplier.apply(plan.changes, to: session.files)
            try session.commitAndClose()
        }
        return PrepReport(
            kind: kind, image: path, dryRun: dryRun, operations: plan.operations, changes: plan.changes,
            findings: session.findings + plan.findings)
    }
}
