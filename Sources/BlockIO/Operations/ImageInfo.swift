/// A report on one image file: container format, sizes, and for VHDs every footer and header field worth
/// showing, the state of each checksum and the parent chain. `Codable`, so `vhdedit info --json` prints it.
public struct ImageInfo: Sendable, Codable {
    /// The VHD part of the report.
    public struct VHDDetails: Sendable, Codable {
        public var diskType: String
        /// The virtual size vhdedit uses: `current_size`.
        public var currentSize: UInt64
        public var originalSize: UInt64
        public var geometry: DiskGeometry
        /// `C*H*S*512`.
        public var geometrySize: UInt64
        /// The size qemu 7.2–9.x reports (geometry or current_size by creator; vhd-format.md §5).
        public var qemu7Size: UInt64
        public var creatorApplication: String
        public var creatorVersion: String
        public var creatorHostOS: String
        /// ISO 8601, UTC.
        public var timestamp: String
        public var uniqueID: VHDUniqueID
        public var savedState: Bool
        public var features: UInt32
        /// Where the footer in use was read.
        public var footerSource: VHDFileStructure.FooterSource
        public var footerChecksum: VHDFileStructure.FooterState
        public var footerCopyChecksum: VHDFileStructure.FooterState
        /// `valid` for dynamic and differencing disks (a bad header fails the open), else `not-applicable`.
        public var headerChecksum: VHDFileStructure.FooterState
        public var blockSize: UInt32?
        public var maxTableEntries: UInt32?
        public var allocatedBlocks: Int?
        public var tableOffset: UInt64?
        public var parentUniqueID: VHDUniqueID?
        public var parentName: String?
        /// ISO 8601, UTC.
        public var parentTimestamp: String?
        public var parentLocators: [Locator]?
    }

    /// A decoded parent locator.
    public struct Locator: Sendable, Codable {
        public var platform: String
        public var path: String
    }

    /// One image of a differencing chain.
    public struct ChainLink: Sendable, Codable {
        public var path: String
        public var format: DiskImage.Format
        public var uniqueID: VHDUniqueID
    }

    public var path: String
    public var format: DiskImage.Format
    public var virtualSize: UInt64
    public var fileLength: UInt64
    public var vhd: VHDDetails?
    /// The parents of a differencing disk, nearest first.
    public var parentChain: [ChainLink]
    /// What the open found in the image's edit journal, when it found one (see ``JournalRecovery``).
    public var journal: String?
    /// Image files that are torn on their own because an interrupted commit is pending in a sealed journal
    /// beside them (see ``PendingEdit``); absent when there are none.
    public var pendingEdits: [PendingEdit]?
    public var warnings: [String]

    /// Opens `path` read-only and describes it.
    public static func read(path: String) throws(BlockIOError) -> ImageInfo {
        ImageInfo(image: try DiskImage.open(path: path), fileLength: nil)
    }

    /// Describes an opened image.
    public init(image: DiskImage, fileLength: UInt64? = nil) {
        path = image.path
        format = image.format
        virtualSize = image.device.size
        self.fileLength = fileLength ?? image.vhd?.structure.fileLength ?? ((try? image.store.length()) ?? 0)
        warnings = image.warnings
        pendingEdits = image.pendingEdits.isEmpty ? nil : image.pendingEdits
        parentChain = []
        journal = image.journalRecovery == .none ? nil : image.journalRecovery.description
        guard let vhd = image.vhd else { return }
        let structure = vhd.structure
        let footer = structure.footer
        let header = structure.header
        self.vhd = VHDDetails(
            diskType: footer.type.map { "\($0)" } ?? "\(footer.diskTypeValue)",
            currentSize: footer.currentSize, originalSize: footer.originalSize, geometry: footer.geometry,
            geometrySize: footer.geometry.byteCount, qemu7Size: footer.qemu7Size,
            creatorApplication: footer.creatorApplicationName, creatorVersion: footer.creatorVersionText,
            creatorHostOS: footer.creatorHostOSName, timestamp: footer.timestamp.description,
            uniqueID: footer.uniqueID, savedState: footer.savedState != 0, features: footer.features,
            footerSource: structure.footerSource, footerChecksum: structure.trailingFooterState,
            footerCopyChecksum: structure.footerCopyState,
            headerChecksum: header == nil ? .notApplicable : .valid,
            blockSize: header?.blockSize, maxTableEntries: header?.maxTableEntries,
            allocatedBlocks: (vhd.device as? DynamicVHD)?.allocationTable.allocatedCount,
            tableOffset: header?.tableOffset,
            parentUniqueID: footer.type == .differencing ? header?.parentUniqueID : nil,
            parentName: footer.type == .differencing ? header?.parentName : nil,
            parentTimestamp: footer.type == .differencing ? header?.parentTimestamp.description : nil,
            parentLocators: footer.type == .differencing
                ? structure.parentLocatorPaths.map { Locator(platform: $0.platform.name, path: $0.path) } : nil)
        parentChain = vhd.chain.dropFirst().map {
            ChainLink(path: $0.structure.path, format: $0.format, uniqueID: $0.structure.footer.uniqueID)
        }
    }
}
