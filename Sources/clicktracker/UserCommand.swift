import ArgumentParser
import ClickTrackerServer
import Foundation

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage the users who can sign in.",
        subcommands: [Add.self, Delete.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user, or set the password and role of an existing one.",
            discussion: "The password is read from the terminal without echo, or as one line from standard input."
        )

        @Argument(help: "The sign-in name (letters, digits, '.', '_', '-', '@').")
        var name: String

        @Flag(help: "Make the user an administrator (may manage tracking and see reports).")
        var admin = false

        @Option(help: "Users file.")
        var users = "users.json"

        @Flag(help: "Accept a password shorter than \(User.minimumPasswordLength) characters (for a test site only).")
        var allowWeak = false

        func run() async throws {
            guard let password = Self.readPassword(prompt: "Password for \(name): "), !password.isEmpty else {
                throw ValidationError("no password given")
            }
            guard User.isValidName(name) else { throw CommandError(UserDirectory.DirectoryError.invalidName(name).description) }
            guard allowWeak || password.count >= User.minimumPasswordLength else {
                throw CommandError(
                    "the password has \(password.count) characters; use at least \(User.minimumPasswordLength) (a few words make a good one), or add --allow-weak for a test site"
                )
            }
            let directory = UserDirectory(path: users)
            do {
                let isNew = try directory.setUser(name: name, password: password, role: admin ? .admin : .member)
                print("\(isNew ? "Added" : "Updated") \(admin ? "administrator" : "member") \(name) in \(users)")
            } catch {
                throw CommandError("\(error)")
            }
        }

        static func readPassword(prompt: String) -> String? {
            if isatty(STDIN_FILENO) == 1, let entered = getpass(prompt) {
                return String(cString: entered)
            }
            return readLine(strippingNewline: true)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a user; they can no longer sign in, and their signed-in sessions end at once.",
            discussion: "Their reading records stay; remove those with clicktracker purge --user NAME --yes."
        )

        @Argument(help: "The sign-in name.")
        var name: String

        @Option(help: "Users file.")
        var users = "users.json"

        func run() async throws {
            do {
                guard try UserDirectory(path: users).removeUser(name: name) else {
                    throw CommandError("there is no user named \(name) in \(users)")
                }
                print("Removed \(name) from \(users)")
            } catch let error as CommandError {
                throw error
            } catch {
                throw CommandError("\(error)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users and their roles.")

        @Option(help: "Users file.")
        var users = "users.json"

        func run() async throws {
            do {
                for user in try UserDirectory(path: users).allUsers() {
                    print("\(user.name)\t\(user.role.rawValue)")
                }
            } catch {
                throw CommandError("\(error)")
            }
        }
    }
}
