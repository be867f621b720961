import ArgumentParser
import Hummingbird

/// The baseline: a Hummingbird server whose beacon endpoint does nothing but answer 204.
@main
struct BareHummingbird: AsyncParsableCommand {
    @Option(help: "Port to listen on.")
    var port = 8091

    func run() async throws {
        let router = Router()
        router.post("/_clicktracker/beacon") { _, _ in HTTPResponse.Status.noContent }
        // A webhook receiver for `WEBHOOK=1 Benchmarks/run`: takes every message, checks nothing.
        router.post("/hook") { _, _ in HTTPResponse.Status.noContent }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        try await app.runService()
    }
}
