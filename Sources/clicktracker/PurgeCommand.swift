import ArgumentParser
import ClickTrackerServer
import Foundation

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Remove one person's data, or everything older than a retention period, from the configured store.",
        discussion: """
            --user removes their views, access log, reading summaries and acknowledgements, name and email, group and \
            request memberships, and the reminder mails, webhook messages and signed receipts that name them, in one \
            transaction; the evidence log records the keys of what was removed (not its contents), so it still verifies. Reads of theirs still waiting in a server's local spool are written \
            when it is replayed: run this after the spool is empty (the Storage page shows it).

            --older-than DAYS removes the view rows older than that, keeping the reading summaries and the access log \
            (add --everything to remove those last touched before it too). Reading requests whose deadline is older can no \
            longer be judged at the deadline. A server applies the same period every hour when retention.days is set.
            """
    )

    @Option(help: "The member id whose data is removed.")
    var user: String?

    @Option(help: "Remove the views older than this many days.")
    var olderThan: Int?

    @Flag(help: "With --older-than: also remove the summaries and access-log rows last touched before it.")
    var everything = false

    @Flag(help: "Confirm the removal; without it nothing is changed.")
    var yes = false

    @OptionGroup var store: GroupCommand.StoreOptions

    func validate() throws {
        guard (user == nil) != (olderThan == nil) else { throw ValidationError("give either --user or --older-than") }
        if let olderThan, !(1...36_500).contains(olderThan) { throw ValidationError("--older-than must be 1 to 36500 days") }
        if everything, olderThan == nil { throw ValidationError("--everything goes with --older-than") }
    }

    func run() async throws {
        if let user {
            guard yes else { throw CommandError("this removes everything kept about \(user) for good; add --yes to confirm") }
            let views = try await store.withStore(mustExist: true) { try await $0.purge(member: user) }
            print("Removed everything kept about \(user) (\(views) views)")
        } else if let olderThan {
            let what = everything ? "all reading data" : "the view rows"
            guard yes else { throw CommandError("this removes \(what) older than \(olderThan) days for good; add --yes to confirm") }
            // A view still waiting in a spool must not be older than the period, or it would come back.
            let lifetime = try await ServerConfiguration.load(file: store.config).tokenLifetime
            guard Double(olderThan) * 86_400 > lifetime else {
                throw CommandError("--older-than must be longer than token.lifetime (\(Int(lifetime)) seconds)")
            }
            let views = try await store.withStore(mustExist: true) { try await $0.purgeViews(olderThanDays: olderThan, everything: everything) }
            print("Removed \(views) views older than \(olderThan) days\(everything ? ", and the summaries last touched before then" : "")")
        }
    }
}
