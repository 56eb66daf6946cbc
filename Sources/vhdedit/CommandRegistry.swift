import ArgumentParser

/// Every subcommand of `vhdedit`, in the order `--help` lists them. One line per command file.
enum CommandRegistry {
    static let all: [any ParsableCommand.Type] = [
        // BlockIO
        InfoCommand.self, ConvertCommand.self, CreateCommand.self,
        ResizeCommand.self,
        // DiskLayout
        PartitionsCommand.self,
        // Ext4
        LsCommand.self, CatCommand.self, StatCommand.self, GetCommand.self, PutCommand.self, RmCommand.self,
        MkdirCommand.self, SymlinkCommand.self, ChmodCommand.self, ChownCommand.self, EditCommand.self,
        // GuestConfig
        KernelArgsCommand.self, ConfigCommand.self,
        // ImagePrep
        InspectCommand.self, GeneralizeCommand.self, AzurePrepareCommand.self, CheckCommand.self,
        RecoverCommand.self,
        // Shell integration
        CompletionCommand.self,
    ]
}
