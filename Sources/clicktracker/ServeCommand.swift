import ArgumentParser
import ClickTrackerServer
import Foundation
import Hummingbird
import Logging
import NIOCore

struct ServeCommand: AsyncParsableCommand {
    /// Refuses a configuration that cannot serve anyone, before any file is made: nothing to
    /// serve, a value that cannot work, or nobody who could sign in.
    static func check(_ configuration: ServerConfiguration) throws {
        guard configuration.siteDirectory != nil || configuration.upstream != nil else {
            throw CommandError(
                "nothing to serve: give a folder of documents with --site FOLDER, or the site to run in front of with --upstream URL (\"site\" or \"upstream\": { \"url\": … } in the configuration)"
            )
        }
        do {
            try configuration.validate()
        } catch {
            throw CommandError("\(error)")
        }
        guard FileManager.default.fileExists(atPath: configuration.usersFile) else {
            throw CommandError(
                "there is no users file at \(configuration.usersFile): add the first administrator with `clicktracker user add NAME --admin --users \(configuration.usersFile)`, or point --users (\"users\" in the configuration) at yours"
            )
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a folder of documents to signed-in users and track reads of marked sections."
    )

    @Option(help: "JSON configuration file; CLICKTRACKER_* environment variables override it.")
    var config: String?

    @Option(help: "Folder of HTML documents to serve.")
    var site: String?

    @Option(help: "Put ClickTracker in front of this site instead (http://host:port), as a reverse proxy.")
    var upstream: String?

    @Option(help: "Users file (see 'clicktracker user add').")
    var users: String?

    @Option(help: "SQLite database file.")
    var database: String?

    @Option(help: "Address to listen on.")
    var host: String?

    @Option(help: "Port to listen on (0 picks a free port).")
    var port: Int?

    func run() async throws {
        var configuration = try await ServerConfiguration.forCommand(file: config)
        if let site { configuration.siteDirectory = site }
        if let upstream { configuration.upstream = upstream }
        if let users { configuration.usersFile = users }
        if let database { configuration.databasePath = database }
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        try Self.check(configuration)
        var logger = Logger(label: "clicktracker")
        logger.logLevel = .info
        let host = configuration.host
        do {
            try await ListeningCheck.check(host: host, port: configuration.port)
            let app = try await ClickTrackerServer.makeApplication(configuration: configuration, logger: logger) { port in
                FileHandle.standardOutput.write(Data("ClickTracker listening on http://\(host):\(port)/\n".utf8))
            }
            try await app.runService()
        } catch let error as ServerStartError {
            throw CommandError("\(error)")
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw CommandError(
                "port \(configuration.port) on \(host) is already in use (another ClickTracker, or another server); stop it or choose another port with --port"
            )
        } catch let error as IOError where error.errnoCode == EACCES {
            throw CommandError("not allowed to listen on port \(configuration.port) (ports below 1024 need root); choose another port with --port")
        }
    }
}
