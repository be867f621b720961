import ArgumentParser
import ClickTrackerServer

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Remove everything kept about one person from the configured store.",
        discussion: """
            Removes their views, access log, reading summaries and acknowledgements, name and email, and group and \
            request memberships, in one transaction. Reads of theirs still waiting in a server's local spool are written \
            when it is replayed: run this after the spool is empty (the Storage page shows it).
            """
    )

    @Option(help: "The member id whose data is removed.")
    var user: String

    @Flag(help: "Confirm the removal; without it nothing is changed.")
    var yes = false

    @OptionGroup var store: GroupCommand.StoreOptions

    func run() async throws {
        guard yes else { throw CommandError("this removes everything kept about \(user) for good; add --yes to confirm") }
        let views = try await store.withStore { try await $0.purge(member: user) }
        print("Removed everything kept about \(user) (\(views) views)")
    }
}
