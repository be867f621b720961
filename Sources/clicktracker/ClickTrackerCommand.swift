import ArgumentParser

@main
struct ClickTrackerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clicktracker",
        abstract: "Evidence that signed-in people actually read your pages.",
        subcommands: [
            ServeCommand.self, UserCommand.self, GroupCommand.self, ReportCommand.self, PurgeCommand.self, DatabaseCommand.self, SpoolCommand.self,
            VerifyCommand.self, ReceiptCommand.self,
        ]
    )
}
