// The directory lookups an Ext2Handle remembers between changes.

import BlockIO
internal import CExt2fs

#if canImport(Glibc)
    import Glibc
#endif

/// The last answers of directory lookups (directory inode and name → inode, or no such entry), kept by an
/// ``Ext2Handle`` between changes to the filesystem: every call that changes anything forgets them all, so an
/// answer is only ever reused while the directories it came from are unchanged.
struct LookupMemo {
    private struct Answer {
        var directory: InodeNumber
        var name: [UInt8]
        var inode: InodeNumber?
    }

    /// How many answers are kept; the oldest is replaced first.
    static let capacity = 128
    private var answers: [Answer] = []
    private var oldest = 0

    /// The remembered answer for `name` in `directory`: `.some(nil)` for a remembered "no such entry", `nil`
    /// when nothing is remembered.
    func answer(for name: [UInt8], in directory: InodeNumber) -> InodeNumber?? {
        for answer in answers where answer.directory == directory && answer.name == name {
            return .some(answer.inode)
        }
        return nil
    }

    mutating func remember(_ inode: InodeNumber?, for name: [UInt8], in directory: InodeNumber) {
        let answer = Answer(directory: directory, name: name, inode: inode)
        if answers.count < Self.capacity {
            answers.append(answer)
        } else {
            answers[oldest] = answer
            oldest = (oldest + 1) % Self.capacity
        }
    }

    mutating func forget() {
        answers.removeAll(keepingCapacity: true)
        oldest = 0
    }
}
