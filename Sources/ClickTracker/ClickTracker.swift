import Foundation
import Logging
import Synchronization

/// The core of ClickTracker, shared by every integration: decides what is tracked, mints the
/// snippet for a render, and turns a verified beacon into a durable view event.
public struct ClickTracker: Sendable {
    /// Settings that integrations share.
    public struct Configuration: Sendable {
        /// Where the collector routes (script and beacon) are mounted.
        public var collectorPath: String
        /// How long a view token is accepted after the page was rendered.
        public var tokenLifetime: TimeInterval

        /// Creates a configuration.
        /// - Parameters:
        ///   - collectorPath: Mount point of the collector routes (default `/_clicktracker`).
        ///   - tokenLifetime: Token lifetime in seconds (default 12 hours).
        public init(collectorPath: String = "/_clicktracker", tokenLifetime: TimeInterval = 12 * 3600) {
            self.collectorPath = collectorPath
            self.tokenLifetime = tokenLifetime
        }
    }

    /// Why a beacon was refused; nothing was recorded.
    public enum BeaconError: Error, CustomStringConvertible {
        case invalidToken(ViewTokenSigner.VerificationError)
        case notAccepted(any Error)

        public var description: String {
            switch self {
            case .invalidToken(let error): "\(error)"
            case .notAccepted(let error): "the view could not be recorded: \(error)"
            }
        }
    }

    /// Where reads are kept.
    public let storage: any ClickStorage
    /// The queue that writes verified events in batches.
    public let queue: IngestQueue
    /// Mints and verifies view tokens.
    public let signer: ViewTokenSigner
    /// Renders the injected tag.
    public let snippet: TrackingSnippet
    /// Logger for tracking decisions that fail.
    public let logger: Logger
    private let lastKnownSections = LastKnownSections()

    /// Creates the core.
    /// - Parameters:
    ///   - storage: Where reads are kept.
    ///   - key: The server secret; the token key is derived from it.
    ///   - spool: Where accepted views wait while the store is unreachable (see ``IngestQueue``).
    ///   - configuration: Shared settings.
    ///   - logger: Logger.
    public init(
        storage: any ClickStorage,
        key: SecretKey,
        spool: Spool? = nil,
        configuration: Configuration = .init(),
        logger: Logger = Logger(label: "clicktracker")
    ) {
        self.storage = storage
        self.queue = IngestQueue(storage: storage, spool: spool, logger: logger)
        self.signer = ViewTokenSigner(secret: key, lifetime: configuration.tokenLifetime)
        self.snippet = TrackingSnippet(collectorPath: configuration.collectorPath)
        self.logger = logger
    }

    /// The marked section that tracks `path`, or `nil` when the page is not tracked.
    ///
    /// Sections are read from the store every time, so instances sharing a database agree at
    /// once. Only while the store is unreachable are the sections last read used instead, so
    /// pages keep being tracked (their views go to the spool).
    public func trackingSection(for path: SectionPath) async throws -> SectionPath? {
        let sections: [SectionPath]
        do {
            sections = try await storage.trackedSections()
            lastKnownSections.value.withLock { $0 = sections }
        } catch let error as StorageUnavailable {
            guard let known = lastKnownSections.value.withLock({ $0 }) else { throw error }
            logger.debug("Using the tracked sections last read: \(error)")
            sections = known
        }
        return TrackingRules(sections: sections).trackingSection(for: path)
    }

    /// The `<script>` tag for one render of a tracked page, with a freshly minted token.
    /// - Parameters:
    ///   - member: The signed-in member.
    ///   - document: The document rendered.
    ///   - url: The URL rendered (path, no query).
    ///   - nonce: The page's CSP nonce, if any.
    public func snippetHTML(member: String, document: DocumentReference, url: String, nonce: String? = nil) -> String {
        snippet.html(token: signer.mint(member: member, document: document, url: url), nonce: nonce)
    }

    /// Verifies a beacon's token for the signed-in member and records the view durably.
    ///
    /// Returns only after the view's batch is committed.
    /// - Parameters:
    ///   - token: The token the browser sent.
    ///   - member: The member signed in on the beacon request.
    ///   - now: The time the beacon arrived.
    public func acceptView(token: String, member: String, now: Date = Date()) async throws(BeaconError) -> ViewEvent {
        let claims: ViewToken
        do {
            claims = try signer.verify(token, member: member, now: now)
        } catch {
            throw .invalidToken(error)
        }
        let event = claims.event(viewedAt: now)
        do {
            try await queue.submit(event)
        } catch {
            throw .notAccepted(error)
        }
        return event
    }
}

/// The tracked sections as last read from the store.
private final class LastKnownSections: Sendable {
    let value = Mutex<[SectionPath]?>(nil)
}
