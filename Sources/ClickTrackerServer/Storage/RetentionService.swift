import ClickTracker
import Foundation
import Logging
import ServiceLifecycle

/// Applies the retention period: every hour, removes the view rows older than it (and, when
/// configured, the summaries last touched before it).
struct RetentionService: Service {
    let storage: any ClickStorage
    let days: Int
    let everything: Bool
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let removed = try await storage.purgeViews(olderThanDays: days, everything: everything)
                if removed > 0 { logger.info("Retention: removed \(removed) views older than \(days) days") }
            } catch {
                logger.warning("Retention: could not remove old views: \(error)")
            }
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
        }
    }
}
