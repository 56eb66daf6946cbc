public import BlockIO

/// The LVM2 volume groups of an image, read in user space from the physical volumes its partitions (or its
/// whole disk) hold. No byte is ever written to LVM's label, headers or metadata.
///
/// Each volume group's newest committed metadata copy is used (highest `seqno` over every metadata area of
/// every PV in the image). A PV, copy or group that cannot be used is kept in ``problems`` and does not hide
/// the others.
public struct LVMLayout {
    /// A volume group, or PV, that could not be read, with the reason.
    public struct Problem: CustomStringConvertible {
        /// Where: "partition 2", "volume group rootvg".
        public let location: String
        /// The volume group it concerns, when known.
        public let group: String?
        /// Why.
        public let error: DiskLayoutError

        /// Where, then why: `partition 2: ...`.
        public var description: String { "\(location): \(error)" }
    }

    /// The physical volumes found.
    public let physicalVolumes: [PhysicalVolume]
    /// The volume groups assembled, in the order their first PV was found.
    public let groups: [VolumeGroup]
    /// What could not be read.
    public let problems: [Problem]

    /// Whether the image holds any LVM2 physical volume.
    public var isEmpty: Bool { physicalVolumes.isEmpty && problems.isEmpty }

    /// All visible logical volumes of all groups.
    public var logicalVolumes: [LogicalVolume] { groups.flatMap(\.logicalVolumes) }

    /// The logical volume named `name`.
    public func logicalVolume(_ name: LogicalVolumeName) -> LogicalVolume? {
        logicalVolumes.first { $0.name == name }
    }

    /// Reads the PVs on `candidates` (devices with where they are) and assembles their volume groups.
    ///
    /// - Throws: ``DiskLayoutError/Code/io`` only when a device cannot be read at all; damaged LVM structures
    ///   become ``problems``.
    public static func read(
        from candidates: [(device: any BlockDevice, location: String)]
    ) throws(DiskLayoutError)
        -> LVMLayout
    {
        var pvs: [PhysicalVolume] = []
        var problems: [Problem] = []
        for (device, location) in candidates {
            do throws(DiskLayoutError) {
                if let pv = try PhysicalVolume.read(from: device, location: location) { pvs.append(pv) }
            } catch  where error.code == .io {
                throw error
            } catch {
                problems.append(Problem(location: location, group: nil, error: error))
            }
        }
        // Every parsed copy, grouped by volume group id in the order first seen. The PVs of a group normally hold
        // the same text: each distinct text is parsed once. (Arrays searched in line, not dictionaries: an image
        // has a handful of PVs, and each new generic dictionary type costs the Swift runtime a conformance scan
        // of the whole binary when first used, more than all of this.)
        var copies: [CopiesOfGroup] = []
        var parsed: [ParsedText] = []
        for pv in pvs {
            for copy in pv.metadata {
                let location = "\(pv.location), metadata area at byte \(copy.areaOffset)"
                do throws(DiskLayoutError) {
                    let metadata: VolumeGroupMetadata
                    if let earlier = parsed.first(where: { $0.text == copy.text }) {
                        if let error = earlier.error { throw error }
                        metadata = earlier.metadata!
                    } else {
                        do throws(DiskLayoutError) {
                            metadata = try VolumeGroupMetadata(parsing: try LVMConfigText.parse(copy.text))
                            parsed.append(ParsedText(text: copy.text, metadata: metadata, error: nil))
                        } catch {
                            parsed.append(ParsedText(text: copy.text, metadata: nil, error: error))
                            throw error
                        }
                    }
                    if let index = copies.firstIndex(where: { $0.id == metadata.id }) {
                        copies[index].copies.append((metadata, location))
                    } else {
                        copies.append(CopiesOfGroup(id: metadata.id, copies: [(metadata, location)]))
                    }
                } catch {
                    problems.append(Problem(location: location, group: nil, error: error))
                }
            }
        }
        var groups: [VolumeGroup] = []
        for group in copies {
            let all = group.copies
            let newest = all.map(\.metadata.seqno).max()!
            let top = all.filter { $0.metadata.seqno == newest }
            let name = top[0].metadata.name
            if let other = top.first(where: { $0.metadata != top[0].metadata }) {
                problems.append(
                    Problem(
                        location: "volume group \(name)", group: name,
                        error: DiskLayoutError(
                            .lvmMetadataConflict,
                            "the metadata copies in \(top[0].location) and \(other.location) both have seqno \(newest) "
                                + "but say different things; none is newest, so the group is not opened")))
                continue
            }
            groups.append(VolumeGroup(metadata: top[0].metadata, found: pvs))
        }
        return LVMLayout(physicalVolumes: pvs, groups: groups, problems: problems)
    }

    /// One metadata text already parsed, with what parsing it gave.
    private struct ParsedText {
        let text: [UInt8]
        let metadata: VolumeGroupMetadata?
        let error: DiskLayoutError?
    }

    /// The copies of one volume group's metadata (by its id), in the order they were found.
    private struct CopiesOfGroup {
        let id: String
        var copies: [(metadata: VolumeGroupMetadata, location: String)]
    }
}
