import ClickTrackerServer

extension ServerConfiguration {
    /// The configuration a command runs with: the file (if given) and the environment, its
    /// problems as one line.
    static func forCommand(file: String?) async throws -> ServerConfiguration {
        do {
            return try await ServerConfiguration.load(file: file)
        } catch let error as ConfigurationError {
            throw CommandError("\(error)")
        } catch {
            throw CommandError("cannot read the configuration \(file ?? ""): \(error)")
        }
    }
}
