import ClickTracker
import Foundation
import Logging
import ServiceLifecycle

/// Freezes each reading request's status soon after its deadline passes (every minute), even when
/// nobody opens its page: later changes of policy, versions or retention never lower it.
struct RequestFreezer: Service {
    let storage: any ClickStorage
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let now = Date()
                for request in try await storage.readingRequests() where request.frozenAt == nil && request.deadline <= now {
                    let report = try await RequestReport.make(request, storage: storage, now: now)
                    if report.froze { logger.info("Froze the status of reading request \(request.id) at its deadline") }
                }
            } catch {
                logger.warning("Could not freeze the reading requests whose deadline passed: \(error)")
            }
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(60)) }
        }
    }
}
