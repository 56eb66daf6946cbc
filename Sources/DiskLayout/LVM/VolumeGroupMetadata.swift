/// A volume group as its metadata text describes it: the typed model of one committed copy.
///
/// Built from an ``LVMConfigSection`` by ``init(parsing:)``, which checks what reading needs and nothing more:
/// the fields are there with the right types, numbers fit (an extent count times the extent size stays within
/// 64 bits), segments of each LV follow each other from extent 0, each stripe's extents lie inside its PV, and no
/// two stripes share an extent of a PV.
public struct VolumeGroupMetadata: Hashable, Sendable {
    /// A physical volume as the metadata lists it (`physical_volumes { pv0 { ... } }`).
    public struct PhysicalVolumeEntry: Hashable, Sendable {
        /// The section name segments refer to (`pv0`).
        public let key: String
        /// The PV UUID (with dashes).
        public let id: String
        /// The device path it had when last seen (a hint only).
        public let deviceHint: String?
        /// Where the first extent starts, in 512-byte sectors from the PV's start.
        public let peStart: UInt64
        /// The number of extents.
        public let peCount: UInt64
    }

    /// One stripe of a segment: a run of extents on one PV.
    public struct Stripe: Hashable, Sendable {
        /// The PV's section name (`pv0`), or for segment types that stack on LVs, the LV's name.
        public let physicalVolume: String
        /// The first extent on that PV.
        public let startExtent: UInt64
    }

    /// A segment of a logical volume (`segment1 { ... }`).
    public struct Segment: Hashable, Sendable {
        /// The first extent of the LV this segment covers.
        public let startExtent: UInt64
        /// How many extents of the LV it covers.
        public let extentCount: UInt64
        /// The segment type (`striped` for linear and striped; `thin`, `raid1`, `snapshot`, ... otherwise).
        public let type: String
        /// The number of stripes (1 for a linear segment).
        public let stripeCount: UInt64
        /// The stripe size in 512-byte sectors (striped segments with more than one stripe).
        public let stripeSize: UInt64?
        /// The stripes, for `striped` segments.
        public let stripes: [Stripe]
        /// For a `snapshot` segment: the origin LV and the COW LV.
        public let origin: String?
        /// For a `snapshot` segment: the LV holding the copy-on-write exceptions.
        public let cowStore: String?
    }

    /// A logical volume (`logical_volumes { root { ... } }`).
    public struct LogicalVolumeEntry: Hashable, Sendable {
        /// Its name.
        public let name: String
        /// Its UUID.
        public let id: String
        /// Its status flags (`READ`, `WRITE`, `VISIBLE`).
        public let status: [String]
        /// Its segments in extent order.
        public let segments: [Segment]

        /// Whether LVM shows it (hidden LVs are parts of others: thin pools' data, snapshot headers, ...).
        public var isVisible: Bool { status.contains("VISIBLE") }
        /// Its size in extents.
        public var extentCount: UInt64 { segments.last.map { $0.startExtent + $0.extentCount } ?? 0 }
    }

    /// The volume group's name.
    public let name: String
    /// Its UUID.
    public let id: String
    /// The sequence number: each change writes a copy with a higher one.
    public let seqno: UInt64
    /// The extent size in 512-byte sectors.
    public let extentSize: UInt64
    /// Its physical volumes in text order.
    public let physicalVolumes: [PhysicalVolumeEntry]
    /// Its logical volumes in text order.
    public let logicalVolumes: [LogicalVolumeEntry]

    /// The extent size in bytes.
    public var extentBytes: UInt64 { extentSize * 512 }

    /// Reads the volume group from a parsed metadata text: its single top-level section.
    ///
    /// - Throws: ``DiskLayoutError/Code/lvmMetadata`` naming the section and field at fault.
    public init(parsing text: LVMConfigSection) throws(DiskLayoutError) {
        let groups = text.sections
        guard groups.count == 1, let group = groups.first else {
            throw Self.error("the text holds \(groups.count) top-level sections; a volume group's metadata has one")
        }
        name = group.name
        let path = "volume group \(group.name)"
        id = try Self.string(group, "id", path)
        seqno = try Self.count(group, "seqno", path)
        extentSize = try Self.count(group, "extent_size", path)
        guard extentSize > 0, extentSize <= 1 << 40 else {
            throw Self.error("extent_size \(extentSize) is not a usable number of sectors", path, "extent_size")
        }
        var pvs: [PhysicalVolumeEntry] = []
        for section in group.section("physical_volumes")?.sections ?? [] {
            let place = "\(path), physical volume \(section.name)"
            let entry = PhysicalVolumeEntry(
                key: section.name, id: try Self.string(section, "id", place),
                deviceHint: section.value("device").flatMap { if case .string(let text) = $0 { text } else { nil } },
                peStart: try Self.count(section, "pe_start", place),
                peCount: try Self.count(section, "pe_count", place))
            guard pvs.allSatisfy({ $0.key != entry.key }) else {
                throw Self.error("the name is listed twice", place)
            }
            let (bytes, overflow) = entry.peCount.multipliedReportingOverflow(by: extentSize * 512)
            guard !overflow, entry.peStart <= UInt64.max / 512,
                bytes.addingReportingOverflow(entry.peStart * 512).overflow == false
            else { throw Self.error("pe_start and pe_count overflow 64 bits", place, "pe_count") }
            pvs.append(entry)
        }
        physicalVolumes = pvs
        var lvs: [LogicalVolumeEntry] = []
        for section in group.section("logical_volumes")?.sections ?? [] {
            lvs.append(try Self.logicalVolume(section, in: path, extentSize: extentSize))
        }
        logicalVolumes = lvs
        try checkExtents()
    }

    private static func logicalVolume(
        _ section: LVMConfigSection, in group: String, extentSize: UInt64
    )
        throws(DiskLayoutError) -> LogicalVolumeEntry
    {
        let path = "\(group), logical volume \(section.name)"
        let status: [String]
        if case .array(let values)? = section.value("status") {
            status = values.compactMap { if case .string(let text) = $0 { text } else { nil } }
        } else {
            status = []
        }
        var segments: [Segment] = []
        var next: UInt64 = 0
        for segmentSection in section.sections where segmentSection.name.hasPrefix("segment") {
            let place = "\(path), \(segmentSection.name)"
            let start = try count(segmentSection, "start_extent", place)
            let extents = try count(segmentSection, "extent_count", place)
            guard start == next else {
                throw error("starts at extent \(start); the one before ends at \(next)", place, "start_extent")
            }
            let (end, overflow) = start.addingReportingOverflow(extents)
            guard !overflow, extents > 0, end.multipliedReportingOverflow(by: extentSize * 512).overflow == false else {
                throw error("extent_count \(extents) is zero or overflows 64 bits", place, "extent_count")
            }
            next = end
            let type = try string(segmentSection, "type", place)
            var stripeCount: UInt64 = 1
            var stripeSize: UInt64?
            var stripes: [Stripe] = []
            if type == "striped" {
                stripeCount = try count(segmentSection, "stripe_count", place)
                guard stripeCount >= 1, stripeCount <= 128 else {
                    throw error("stripe_count \(stripeCount) is not 1 … 128", place, "stripe_count")
                }
                if stripeCount > 1 {
                    let size = try count(segmentSection, "stripe_size", place)
                    guard size > 0, size <= 1 << 32 else {
                        throw error("stripe_size \(size) is not a usable number of sectors", place, "stripe_size")
                    }
                    stripeSize = size
                }
                guard case .array(let values)? = segmentSection.value("stripes"),
                    values.count == Int(stripeCount) * 2
                else {
                    throw error("stripes must list \(stripeCount) pairs of PV name and extent", place, "stripes")
                }
                for pair in 0..<Int(stripeCount) {
                    guard case .string(let pv) = values[pair * 2], case .integer(let pe) = values[pair * 2 + 1], pe >= 0
                    else { throw error("stripe \(pair) is not a PV name and an extent", place, "stripes") }
                    stripes.append(Stripe(physicalVolume: pv, startExtent: UInt64(pe)))
                }
                guard extents % stripeCount == 0 else {
                    throw error("\(extents) extents do not divide into \(stripeCount) stripes", place, "extent_count")
                }
                // As device-mapper's striped target requires: each stripe a whole number of chunks.
                if let size = stripeSize, (extents / stripeCount * extentSize) % size != 0 {
                    throw error(
                        "a stripe of \(extents / stripeCount) extents is not a whole number of \(size)-sector chunks",
                        place, "stripe_size")
                }
            }
            func optional(_ key: String) -> String? {
                if case .string(let text)? = segmentSection.value(key) { text } else { nil }
            }
            segments.append(
                Segment(
                    startExtent: start, extentCount: extents, type: type, stripeCount: stripeCount,
                    stripeSize: stripeSize, stripes: stripes, origin: optional("origin"),
                    cowStore: optional("cow_store")))
        }
        return LogicalVolumeEntry(
            name: section.name, id: (try? string(section, "id", path)) ?? "", status: status, segments: segments)
    }

    /// Each stripe inside its PV, and no extent of a PV given to two stripes.
    private func checkExtents() throws(DiskLayoutError) {
        // Every stripe's extent range, checked against its PV here, then sorted so that overlaps are neighbours:
        // O(n log n) for hostile metadata with many segments, and no dictionary (a new generic dictionary type
        // costs the Swift runtime a conformance scan of the whole binary when first used, on every open).
        var claims: [ExtentClaim] = []
        for lv in logicalVolumes {
            for (index, segment) in lv.segments.enumerated() where segment.type == "striped" {
                let perStripe = segment.extentCount / segment.stripeCount
                let place = "volume group \(name), logical volume \(lv.name), segment \(index + 1)"
                for stripe in segment.stripes {
                    guard let pv = physicalVolumes.firstIndex(where: { $0.key == stripe.physicalVolume }) else {
                        throw Self.error(
                            "names \(stripe.physicalVolume), which is not a physical volume of the group", place,
                            "stripes")
                    }
                    let peCount = physicalVolumes[pv].peCount
                    let (end, overflow) = stripe.startExtent.addingReportingOverflow(perStripe)
                    guard !overflow, end <= peCount else {
                        throw Self.error(
                            "extents \(stripe.startExtent)..<\(stripe.startExtent &+ perStripe) run past the end of \(stripe.physicalVolume) (\(peCount) extents)",
                            place, "stripes")
                    }
                    claims.append(
                        ExtentClaim(
                            physicalVolume: pv, range: stripe.startExtent..<end, order: claims.count,
                            owner: "logical volume \(lv.name)", place: place))
                }
            }
        }
        claims.sort {
            ($0.physicalVolume, $0.range.lowerBound, $0.order) < ($1.physicalVolume, $1.range.lowerBound, $1.order)
        }
        var furthest: ExtentClaim?  // on the same PV, the claim reaching furthest so far
        for claim in claims {
            if let earlier = furthest, earlier.physicalVolume == claim.physicalVolume,
                earlier.range.overlaps(claim.range)
            {
                // Said from the later one in metadata order, as lvm would meet them.
                let (first, second) = earlier.order < claim.order ? (earlier, claim) : (claim, earlier)
                throw Self.error(
                    "extents \(second.range.lowerBound)..<\(second.range.upperBound) of \(physicalVolumes[second.physicalVolume].key) are also given to \(first.owner)",
                    second.place, "stripes")
            }
            if furthest == nil || furthest!.physicalVolume != claim.physicalVolume
                || claim.range.upperBound > furthest!.range.upperBound
            {
                furthest = claim
            }
        }
    }

    /// Extents of one PV (its index in ``physicalVolumes``) given to a logical volume's stripe.
    private struct ExtentClaim {
        let physicalVolume: Int
        let range: Range<UInt64>
        /// Its position in metadata order.
        let order: Int
        let owner: String
        /// "volume group …, logical volume …, segment N", for the error.
        let place: String
    }

    private static func error(_ message: String, _ path: String? = nil, _ field: String? = nil) -> DiskLayoutError {
        DiskLayoutError(
            .lvmMetadata, (path.map { "\($0): " } ?? "") + message, structure: "LVM2 metadata text", field: field)
    }

    private static func string(
        _ section: LVMConfigSection, _ key: String, _ path: String
    ) throws(DiskLayoutError)
        -> String
    {
        guard case .string(let text)? = section.value(key) else {
            throw error("\(key) is missing or not a string", path, key)
        }
        return text
    }

    private static func count(
        _ section: LVMConfigSection, _ key: String, _ path: String
    ) throws(DiskLayoutError)
        -> UInt64
    {
        guard case .integer(let number)? = section.value(key), number >= 0 else {
            throw error("\(key) is missing or not a whole number ≥ 0", path, key)
        }
        return UInt64(number)
    }
}
