import AsyncHTTPClient
import ServiceLifecycle

/// Keeps the proxy's HTTP client for as long as the server runs and shuts it down after.
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
