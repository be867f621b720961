import AsyncHTTPClient
import Logging
import ServiceLifecycle

/// Keeps the proxy's HTTP client for as long as the server runs and shuts it down after.
struct HTTPClientService: Service {
    let client: HTTPClient
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        // Requests still streaming are cut off; that must not fail the other services' shutdown.
        do {
            try await client.shutdown()
        } catch {
            logger.debug("The proxy's HTTP client shut down with requests in flight: \(error)")
        }
    }
}
