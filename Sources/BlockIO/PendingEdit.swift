import Synchronization

/// A committed edit that was interrupted while it was applied: a sealed edit journal (redo log) lies beside an
/// image file, so the file on its own is torn (part old, part new) until the journal is replayed.
///
/// vhdedit reads such a file through its journal (see ``RecoveredStore``) and sees the committed image; every
/// other tool (qemu-img, an upload) sees the torn file. So every command that meets one says so:
/// ``DiskImage/open(path:writable:)`` hands each one it finds to `announce(_:)` (the `vhdedit` command prints
/// it on standard error), and reports carry ``DiskImage/pendingEdits``.
public struct PendingEdit: Sendable, Codable, Equatable {
    /// The image file that is torn.
    public var image: String
    /// The sealed journal beside it (`<image>.vhdedit-journal`).
    public var journal: String
    /// The number of journal records (pages and cuts) not yet known to be applied.
    public var records: Int

    /// What finishes the edit.
    public var remedy: String { "run `vhdedit recover \(image)` to finish it" }

    /// One line for standard error: the file alone is not the image, and how to finish it.
    public var message: String {
        "\(image): an interrupted commit is pending in \(journal) (\(records) records): the file alone is not the "
            + "image (other tools such as qemu-img or an upload see it torn); vhdedit reads it through the journal; "
            + remedy
    }

    private enum CodingKeys: String, CodingKey { case image, journal, records, message, remedy }

    /// A pending edit of `image` whose sealed journal `journal` holds `records` records.
    public init(image: String, journal: String, records: Int) {
        self.image = image
        self.journal = journal
        self.records = records
    }

    /// Decodes a pending edit from its JSON form (the message and remedy are derived, not read).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        image = try container.decode(String.self, forKey: .image)
        journal = try container.decode(String.self, forKey: .journal)
        records = try container.decode(Int.self, forKey: .records)
    }

    /// Encodes the fields plus ``message`` and ``remedy``, so JSON readers get the same words as a terminal.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(image, forKey: .image)
        try container.encode(journal, forKey: .journal)
        try container.encode(records, forKey: .records)
        try container.encode(message, forKey: .message)
        try container.encode(remedy, forKey: .remedy)
    }

    /// The pending edit of the image file read by `store`, when a sealed journal was found beside it.
    static func of(_ store: any ByteStore) -> PendingEdit? {
        guard let recovered = store as? RecoveredStore, case .readThrough(let records) = recovered.recovery else {
            return nil
        }
        return PendingEdit(image: store.path, journal: store.path + HostRedoLogLocation.suffix, records: records)
    }
}

extension PendingEdit {
    private static let listener = Mutex<(@Sendable (PendingEdit) -> Void)?>(nil)

    /// Sets what is done with every pending edit an open finds (a program prints it on standard error); `nil`,
    /// the default, does nothing (the library reports them in ``DiskImage/pendingEdits`` either way).
    public static func onAnnounce(_ handler: (@Sendable (PendingEdit) -> Void)?) {
        listener.withLock { $0 = handler }
    }

    /// Hands `pending` to the handler set with ``onAnnounce(_:)``.
    static func announce(_ pending: PendingEdit) {
        let handler = listener.withLock { $0 }
        handler?(pending)
    }
}

extension DiskImage {
    /// The sealed edit journals found beside the image file and (for a differencing disk) its parents: each
    /// such file is torn on its own. Empty when the files are whole.
    public var pendingEdits: [PendingEdit] {
        if let vhd { return vhd.chain.compactMap { PendingEdit.of($0.store) } }
        return PendingEdit.of(store).map { [$0] } ?? []
    }
}
