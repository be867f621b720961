import ArgumentParser
import ClickTracker
import ClickTrackerServer
import Foundation
import Logging

struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "Manage named groups of readers (a committee, a board) in the configured store.",
        subcommands: [Import.self, Export.self, List.self, Delete.self]
    )

    /// The store options every subcommand shares.
    struct StoreOptions: ParsableArguments {
        @Option(help: "Configuration file (JSON); its database or postgres.dsn is used. CLICKTRACKER_* variables apply too.")
        var config: String?

        @Option(help: "SQLite database file (instead of the configuration's database).")
        var database: String?

        /// Opens the configured store, runs `body` with it and closes it.
        /// - Parameters:
        ///   - mustExist: Refuse an SQLite file that is not there instead of creating an empty one
        ///     (a report or a removal looks at data that must already be there).
        ///   - body: What to do with the store.
        func withStore<T: Sendable>(mustExist: Bool = false, _ body: (any ClickStorage) async throws -> T) async throws -> T {
            var logger = Logger(label: "clicktracker.group")
            logger.logLevel = .critical
            do {
                var configuration = try await ServerConfiguration.load(file: config)
                if let database { configuration.databasePath = database }
                if mustExist, configuration.postgresDSN == nil, !FileManager.default.fileExists(atPath: configuration.databasePath) {
                    let path = URL(fileURLWithPath: configuration.databasePath).standardized.path
                    throw CommandError(
                        "there is no data at \(path) (no database file there): give the server's configuration with --config FILE, or its database with --database FILE"
                    )
                }
                return try await ConfiguredStore.with(configuration, logger: logger, body)
            } catch let error as CommandError {
                throw error
            } catch {
                throw CommandError("\(error)")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a group's members from a CSV file (header: user,name,email); creates the group.",
            discussion:
                "The group becomes exactly the file's people; names and emails are recorded for reports. Nothing changes if the file has an error."
        )

        @Argument(help: "The CSV file, or - for standard input.")
        var file: String

        @Option(help: "The group's name (default: the file's name without extension).")
        var name: String?

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let text: String
            do {
                text =
                    file == "-"
                    ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                    : try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw CommandError("cannot read \(file): \(error.localizedDescription)")
            }
            let groupName: String
            let people: [Person]
            do {
                groupName = try MemberGroup.validate(name: name ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent)
                people = try PeopleCSV.parse(text)
            } catch {
                throw CommandError("\(file): \(error)")
            }
            try await store.withStore { try await $0.setGroup(groupName, members: people) }
            print("Group \(groupName): \(people.count) members")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a group's members as CSV (user,name,email).")

        @Argument(help: "The group's name.")
        var name: String

        @OptionGroup var store: StoreOptions

        func run() async throws {
            guard let people = try await store.withStore({ try await $0.members(ofGroup: name) }) else {
                throw CommandError("there is no group named \(name)")
            }
            print(PeopleCSV.write(people), terminator: "")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the groups and their sizes.")

        @OptionGroup var store: StoreOptions

        func run() async throws {
            for group in try await store.withStore({ try await $0.groups() }) {
                print("\(group.name)\t\(group.size)")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a group (its people stay known).")

        @Argument(help: "The group's name.")
        var name: String

        @OptionGroup var store: StoreOptions

        func run() async throws {
            guard try await store.withStore({ try await $0.deleteGroup(name) }) else {
                throw CommandError("there is no group named \(name)")
            }
            print("Deleted group \(name)")
        }
    }
}
