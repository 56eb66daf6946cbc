import ArgumentParser
import VHDEditKit

/// `vhdedit recover IMAGE [--partition N] [--json]`.
struct RecoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract:
            "Finish what an interrupted writer left: replay the filesystem's journal, finish or discard a pending vhdedit edit.",
        discussion: """
            Does only recovery, nothing else: a pending vhdedit edit journal (<image>.vhdedit-journal) is \
            finished when it was sealed (that session committed) or deleted when torn (it never did), and an \
            ext3/ext4 journal holding committed transactions (an image captured from a running system: \
            needs_recovery) is replayed as the kernel does at mount and e2fsck -E journal_only does, then \
            emptied. Other commands replay the journal too (read-only ones in memory, writing ones with their \
            own changes in one commit); recover writes the replay alone.
            Example: vhdedit recover captured.vhd
            """)

    @OptionGroup var target: ImageOptions
    @Flag(name: .long, help: "Print the report as JSON.") var json = false

    func run() throws {
        try CommandFailure.reportingErrors {
            let report = try ImageRecovery.recover(path: target.image, partition: target.partition)
            if json {
                try JSONOutput.print(report, schema: .recover)
                return
            }
            print("\(report.image): edit journal: \(report.editJournalDetail)")
            let volume = report.partition.map { "partition \($0)" } ?? "filesystem"
            if let replay = report.filesystemJournal {
                var line =
                    "\(report.image): \(volume): replayed the journal: \(replay.transactions) transaction"
                    + "\(replay.transactions == 1 ? "" : "s"), \(replay.blocks) block\(replay.blocks == 1 ? "" : "s") written"
                if replay.revokedCopies > 0 { line += ", \(replay.revokedCopies) revoked copies skipped" }
                if let corrupt = replay.stoppedAtCorruptCommit {
                    line += "; stopped before transaction \(corrupt), whose commit block fails its checksum"
                }
                print(line + "; the journal is empty (next transaction \(replay.nextSequence))")
            } else {
                print("\(report.image): \(volume): the journal does not need recovery; nothing written")
            }
        }
    }
}
