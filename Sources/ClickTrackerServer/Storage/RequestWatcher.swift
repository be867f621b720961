import ClickTracker
import Foundation
import Logging
import ServiceLifecycle

/// Looks after the reading requests every ``interval`` (a minute unless configured), even when
/// nobody opens their pages: freezes each request's status once its deadline passes (later
/// changes of policy, versions or retention never lower it), marks a request completed once
/// everyone has read everything (both told to the webhooks), and sends the reminders that are due.
struct RequestWatcher: Service {
    let storage: any ClickStorage
    /// Sends reminders; `nil` when no mail is configured.
    let reminders: ReminderSender?
    /// Issues the signed receipt of each request once its deadline has passed.
    let receipts: RequestReceipts
    let interval: Duration
    let logger: Logger

    /// Requests are watched for completion until this long after their deadline.
    static let completionWindow: TimeInterval = 7 * 86_400

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                for request in try await storage.readingRequests() {
                    // One request that fails leaves the others looked after.
                    do {
                        try await look(after: request, now: Date())
                    } catch {
                        logger.warning("Could not look after reading request \(request.id): \(error)")
                    }
                }
            } catch {
                logger.warning("Could not read the reading requests: \(error)")
            }
            await reminders?.sendDueLogged()
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Freezes the request once its deadline has passed and marks it completed once everyone has
    /// read everything (``RequestReport/make(_:storage:now:)`` does both); issues the receipt of
    /// its deadline once frozen, unless an instance did (retried while it is recent).
    private func look(after request: ReadingRequest, now: Date) async throws {
        let freezes = request.frozenAt == nil && request.deadline <= now
        let mayComplete = request.completedAt == nil && request.deadline.addingTimeInterval(Self.completionWindow) > now
        let recentlyFrozen = request.frozenAt.map { now.timeIntervalSince($0) < Self.completionWindow } ?? false
        guard freezes || mayComplete || recentlyFrozen else { return }
        var current = request
        if freezes || mayComplete {
            let report = try await RequestReport.make(request, storage: storage, now: now)
            if report.froze { logger.info("Froze the status of reading request \(request.id) at its deadline") }
            if request.completedAt == nil, report.request.completedAt != nil {
                logger.info("Reading request \(request.id): everyone has read everything")
            }
            current = report.request
        }
        guard current.frozenAt != nil, try await !storage.receipts(requestID: request.id).contains(where: { $0.reason == .deadline }) else { return }
        if try await receipts.issue(current, reason: .deadline, by: RequestReceipts.server, now: now) != nil {
            logger.info("Issued the signed receipt of reading request \(request.id) at its deadline")
        }
    }
}
