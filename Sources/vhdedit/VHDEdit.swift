import ArgumentParser

/// The `vhdedit` command: argument parsing and printing only; every behaviour lives in the library.
struct VHDEdit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vhdedit",
        abstract: "Read, patch and generalize Linux VM disk images (VHD or raw) without booting them.",
        discussion: """
            vhdedit opens an unmounted image, finds its partitions (MBR/GPT), opens the ext2/3/4 filesystem \
            inside through libext2fs, and edits the guest's files in user space. Writes are atomic: a crash \
            leaves the image as it was before or as it is after, never a mix.

            The main job: 'vhdedit generalize --dry-run IMAGE' shows the plan, 'vhdedit generalize IMAGE' \
            does it, 'vhdedit check IMAGE' says whether the image meets Azure's requirements.
            """,
        version: "0.1.0",
        subcommands: CommandRegistry.all
    )
}
