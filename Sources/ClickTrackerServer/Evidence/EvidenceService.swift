import ClickTracker
import Foundation
import Logging
import ServiceLifecycle

/// Seals the evidence log every few seconds and signs a checkpoint of it at least every minute
/// while something new was recorded (see ``EvidenceSealer``).
struct EvidenceService: Service {
    let sealer: EvidenceSealer
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var failing = false
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await sealer.seal()
                if failing { logger.info("The evidence log is being sealed again") }
                failing = false
            } catch {
                // Said once per outage: the store's own messages tell the rest.
                if !failing { logger.warning("Could not seal the evidence log: \(error)") }
                failing = true
            }
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        // What was recorded last is sealed before the server stops.
        _ = try? await sealer.seal(force: true)
    }
}
