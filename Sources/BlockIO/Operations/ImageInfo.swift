/// A report on one image file: container format, sizes, and for VHDs every footer and header field worth
/// showing, the state of each checksum and the parent chain. `Codable`, so `vhdedit info --json` prints it.
public struct ImageInfo: Sendable, Codable {
    /// The VHD part of the report.
    public struct VHDDetails: Sendable, Codable {
        /// `fixed`, `dynamic` or `differencing` (the footer's disk type).
        public var diskType: String
        /// The virtual size vhdedit uses: `current_size`.
        public var currentSize: UInt64
        /// The footer's `original_size`.
        public var originalSize: UInt64
        /// The footer's cylinder/head/sector geometry.
        public var geometry: DiskGeometry
        /// `C*H*S*512`.
        public var geometrySize: UInt64
        /// The size qemu 7.2–9.x reports (geometry or current_size by creator; vhd-format.md §5).
        public var qemu7Size: UInt64
        /// The footer's creator application (four characters, such as `win `, `qemu`, `vpc `).
        public var creatorApplication: String
        /// The creator version, as `major.minor`.
        public var creatorVersion: String
        /// The creator host OS (`Wi2k`, `Mac `).
        public var creatorHostOS: String
        /// ISO 8601, UTC.
        public var timestamp: String
        /// The footer's unique ID.
        public var uniqueID: VHDUniqueID
        /// The footer's saved-state flag.
        public var savedState: Bool
        /// The footer's feature bits.
        public var features: UInt32
        /// Where the footer in use was read.
        public var footerSource: VHDFileStructure.FooterSource
        /// The state of the footer's checksum.
        public var footerChecksum: VHDFileStructure.FooterState
        /// The state of the footer copy's checksum (dynamic and differencing disks).
        public var footerCopyChecksum: VHDFileStructure.FooterState
        /// `valid` for dynamic and differencing disks (a bad header fails the open), else `not-applicable`.
        public var headerChecksum: VHDFileStructure.FooterState
        /// The dynamic header's block size (dynamic and differencing disks).
        public var blockSize: UInt32?
        /// The dynamic header's `max_table_entries`.
        public var maxTableEntries: UInt32?
        /// Blocks the block allocation table maps.
        public var allocatedBlocks: Int?
        /// Where the block allocation table starts in the file.
        public var tableOffset: UInt64?
        /// The parent's unique ID (differencing disks).
        public var parentUniqueID: VHDUniqueID?
        /// The parent's name as the header stores it (UTF-16).
        public var parentName: String?
        /// ISO 8601, UTC.
        public var parentTimestamp: String?
        /// The decoded parent locators (differencing disks).
        public var parentLocators: [Locator]?
    }

    /// The VHDX part of the report.
    public struct VHDXDetails: Sendable, Codable {
        /// `fixed`, `dynamic` or `differencing`.
        public var diskType: String
        /// The payload block size in bytes.
        public var blockSize: UInt32
        /// The logical sector size (512 or 4096).
        public var logicalSectorSize: UInt32
        /// The physical sector size (512 or 4096).
        public var physicalSectorSize: UInt32
        /// The file parameters' `LeaveBlocksAllocated` bit (a fixed disk).
        public var leaveBlocksAllocated: Bool
        /// The file parameters' `HasParent` bit (a differencing disk).
        public var hasParent: Bool
        /// Payload blocks the disk has, and how many of them the file stores.
        public var blocks: UInt64
        /// Payload blocks the file stores.
        public var allocatedBlocks: Int
        /// The file type identifier's creator string.
        public var creator: String
        /// The current header's sequence number.
        public var headerSequenceNumber: UInt64
        /// `1` or `2`: which header is current.
        public var currentHeader: Int
        /// The current header's `DataWriteGuid`.
        public var dataWriteGUID: VHDXGUID
        /// The metadata's Page 83 data (the disk's SCSI identity).
        public var page83Data: VHDXGUID
        /// Log entries replayed in memory at open (the file is not changed).
        public var replayedLogEntries: Int
        /// The parent locator's keys and values (differencing disks).
        public var parentLocator: [Locator]?
    }

    /// A decoded parent locator.
    public struct Locator: Sendable, Codable {
        /// The locator's platform code (`W2ku`, `W2ru`, `MacX`, or the VHDX key).
        public var platform: String
        /// The path it holds.
        public var path: String
    }

    /// One image of a differencing chain.
    public struct ChainLink: Sendable, Codable {
        /// The parent image's path.
        public var path: String
        /// Its container format.
        public var format: DiskImage.Format
        /// Its unique ID.
        public var uniqueID: VHDUniqueID
    }

    /// The qcow2 part of the report.
    public struct Qcow2Details: Sendable, Codable {
        /// The header's version (2 or 3).
        public var version: UInt32
        /// The cluster size in bytes.
        public var clusterSize: UInt64
        /// `zlib` or `zstd`: how compressed clusters are coded.
        public var compressionType: String
        /// Whether L2 entries carry subcluster bitmaps (32 subclusters per cluster).
        public var extendedL2: Bool
        /// The dirty bit (refcounts may be stale; reading is still safe).
        public var dirty: Bool
        /// The corrupt bit.
        public var corrupt: Bool
        /// Entries in the L1 table.
        public var l1Size: UInt32
        /// Internal snapshots the image holds.
        public var snapshots: UInt32
        /// The backing file name as stored in the header.
        public var backingFile: String?
        /// The backing file format the header names (`backing_fmt`).
        public var backingFormat: String?
    }

    /// One image of a qcow2 backing chain.
    public struct BackingLink: Sendable, Codable {
        /// The backing image's path.
        public var path: String
        /// Its container format.
        public var format: DiskImage.Format
        /// Its virtual size in bytes.
        public var virtualSize: UInt64
    }

    /// The image's path.
    public var path: String
    /// Its container format.
    public var format: DiskImage.Format
    /// The virtual disk's size in bytes.
    public var virtualSize: UInt64
    /// The image file's length in bytes.
    public var fileLength: UInt64
    /// The VHD fields (VHD images only).
    public var vhd: VHDDetails?
    /// The qcow2 fields (qcow2 images only).
    public var qcow2: Qcow2Details?
    /// The backing files of a qcow2 image, nearest first (absent for other formats).
    public var backingChain: [BackingLink]?
    /// The VHDX fields (VHDX images only).
    public var vhdx: VHDXDetails?
    /// The parents of a differencing disk, nearest first.
    public var parentChain: [ChainLink]
    /// What the open found in the image's edit journal, when it found one (see ``JournalRecovery``).
    public var journal: String?
    /// Image files that are torn on their own because an interrupted commit is pending in a sealed journal
    /// beside them (see ``PendingEdit``); absent when there are none.
    public var pendingEdits: [PendingEdit]?
    /// What reading the image noticed (a footer read from its copy, a parent smaller than the child ...).
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
        if let qcow2 = image.qcow2 {
            let header = qcow2.header
            self.qcow2 = Qcow2Details(
                version: header.version, clusterSize: header.clusterSize, compressionType: "\(header.compressionType)",
                extendedL2: header.hasExtendedL2, dirty: header.isDirty, corrupt: header.isCorrupt,
                l1Size: header.l1Size,
                snapshots: header.snapshotCount, backingFile: qcow2.extensions.backingFile,
                backingFormat: qcow2.extensions.backingFormat)
            var links: [BackingLink] = []
            var next = qcow2.backing
            while let link = next {
                links.append(BackingLink(path: link.path, format: link.format, virtualSize: link.device.size))
                next = link.qcow2?.backing
                if let vhd = link.vhd {  // a VHD's own parents continue the chain
                    links += vhd.chain.dropFirst().map {
                        BackingLink(path: $0.structure.path, format: $0.format, virtualSize: $0.device.size)
                    }
                }
            }
            backingChain = links
        }
        if let vhdx = image.vhdx {
            self.vhdx = Self.details(of: vhdx.structure, diskType: vhdx.diskType)
            parentChain = vhdx.chain.dropFirst().map {
                ChainLink(
                    path: $0.structure.path, format: .vhdx,
                    uniqueID: VHDUniqueID(bytes: $0.structure.header.dataWriteGUID.textOrderBytes))
            }
        }
        guard let vhd = image.vhd else { return }
        self.vhd = Self.details(
            of: vhd.structure, allocatedBlocks: (vhd.device as? DynamicVHD)?.allocationTable.allocatedCount)
        parentChain = vhd.chain.dropFirst().map {
            ChainLink(path: $0.structure.path, format: $0.format, uniqueID: $0.structure.footer.uniqueID)
        }
    }

    /// A report of the container alone (no parent chain, no warnings yet).
    private init(path: String, format: DiskImage.Format, virtualSize: UInt64, fileLength: UInt64) {
        self.path = path
        self.format = format
        self.virtualSize = virtualSize
        self.fileLength = fileLength
        parentChain = []
        warnings = []
    }

    /// Describes the differencing disk at `path` on its own, without opening its parents: the facts of its
    /// footer and header (VHD) or headers and metadata (VHDX), for a child whose parent cannot be opened
    /// (`vhdedit info` prints them before the error). Reads only; `nil` when the file is not a differencing VHD
    /// or VHDX, or its own structures cannot be read.
    public static func withoutParent(path: String) -> ImageInfo? {
        guard let file = try? HostFile(path: path, access: .readOnly), let store = try? RecoveredStore(over: file)
        else {
            return nil
        }
        switch try? ImageFormatDetector.detect(store) {
        case .vhd?:
            guard let structure = try? VHDFileStructure(reading: store), structure.footer.type == .differencing else {
                return nil
            }
            var info = ImageInfo(
                path: path, format: .vhdDifferencing, virtualSize: structure.footer.currentSize,
                fileLength: structure.fileLength)
            let alone = try? DynamicVHD(store: store, structure: structure, parent: nil)
            info.vhd = details(of: structure, allocatedBlocks: alone?.allocationTable.allocatedCount)
            info.warnings = structure.warnings
            return info
        case .vhdx?:
            guard let (structure, _) = try? VHDXFileStructure.read(from: store), structure.metadata.hasParent else {
                return nil
            }
            var info = ImageInfo(
                path: path, format: .vhdx, virtualSize: structure.metadata.virtualDiskSize,
                fileLength: (try? store.length()) ?? 0)
            info.vhdx = details(of: structure, diskType: "differencing")
            return info
        default:
            return nil
        }
    }

    /// The VHDX facts of `structure`.
    static func details(of structure: VHDXFileStructure, diskType: String) -> VHDXDetails {
        let metadata = structure.metadata
        return VHDXDetails(
            diskType: diskType, blockSize: metadata.blockSize, logicalSectorSize: metadata.logicalSectorSize,
            physicalSectorSize: metadata.physicalSectorSize, leaveBlocksAllocated: metadata.leaveBlocksAllocated,
            hasParent: metadata.hasParent, blocks: metadata.dataBlockCount,
            allocatedBlocks: structure.table.allocatedCount, creator: structure.identifier.creator,
            headerSequenceNumber: structure.header.sequenceNumber,
            currentHeader: structure.headerOffset == VHDXHeader.offsets[0] ? 1 : 2,
            dataWriteGUID: structure.header.dataWriteGUID, page83Data: metadata.page83Data,
            replayedLogEntries: structure.replayedEntries,
            parentLocator: metadata.parentLocator?.entries.map { Locator(platform: $0.key, path: $0.value) })
    }

    /// The VHD facts of `structure`, with `allocatedBlocks` of its BAT.
    static func details(of structure: VHDFileStructure, allocatedBlocks: Int?) -> VHDDetails {
        let footer = structure.footer
        let header = structure.header
        return VHDDetails(
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
            allocatedBlocks: allocatedBlocks,
            tableOffset: header?.tableOffset,
            parentUniqueID: footer.type == .differencing ? header?.parentUniqueID : nil,
            parentName: footer.type == .differencing ? header?.parentName : nil,
            parentTimestamp: footer.type == .differencing ? header?.parentTimestamp.description : nil,
            parentLocators: footer.type == .differencing
                ? structure.parentLocatorPaths.map { Locator(platform: $0.platform.name, path: $0.path) } : nil)
    }
}
