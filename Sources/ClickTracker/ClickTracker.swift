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
        /// Seconds without input after which the script stops counting active time (its default, 30, when `nil`).
        public var idleSeconds: Int?
        /// Seconds between the script's reports while the reader is active (its default, 15, when `nil`).
        public var heartbeatSeconds: Int?
        /// Paths never tracked, from the configuration file (those set on the Tracking page are
        /// kept by the store).
        public var ignoredPaths: [SectionPath]

        /// Creates a configuration.
        /// - Parameters:
        ///   - collectorPath: Mount point of the collector routes (default `/_clicktracker`).
        ///   - tokenLifetime: Token lifetime in seconds (default 12 hours).
        ///   - idleSeconds: The script's idle window.
        ///   - heartbeatSeconds: The script's heartbeat.
        ///   - ignoredPaths: Paths never tracked, even inside a marked section.
        public init(
            collectorPath: String = "/_clicktracker",
            tokenLifetime: TimeInterval = 12 * 3600,
            idleSeconds: Int? = nil,
            heartbeatSeconds: Int? = nil,
            ignoredPaths: [SectionPath] = []
        ) {
            self.collectorPath = collectorPath
            self.tokenLifetime = tokenLifetime
            self.idleSeconds = idleSeconds
            self.heartbeatSeconds = heartbeatSeconds
            self.ignoredPaths = ignoredPaths
        }
    }

    /// Why a beacon was refused; nothing was recorded.
    public enum BeaconError: Error, CustomStringConvertible {
        case invalidToken(ViewTokenSigner.VerificationError)
        /// The page's section does not ask readers to confirm.
        case acknowledgementNotAsked
        /// A single-page app asked for its next view before its first was recorded.
        case viewNotRecorded
        case notAccepted(any Error)

        public var description: String {
            switch self {
            case .invalidToken(let error): "\(error)"
            case .acknowledgementNotAsked: "this page does not ask readers to confirm"
            case .viewNotRecorded: "no view of this page was recorded; reload the page"
            case .notAccepted(let error): "the beacon could not be recorded: \(error)"
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
    /// Paths never tracked, from the configuration file.
    public let configuredIgnoredPaths: [SectionPath]
    private let lastKnownSections = LastKnown<SectionPolicies>()
    private let lastKnownIgnoredPaths = LastKnown<[SectionPath]>()

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
        self.configuredIgnoredPaths = configuration.ignoredPaths
        self.snippet = TrackingSnippet(
            collectorPath: configuration.collectorPath,
            idleSeconds: configuration.idleSeconds,
            heartbeatSeconds: configuration.heartbeatSeconds
        )
        self.logger = logger
    }

    /// The marked section that tracks `path`, with its policy, or `nil` when the page is not tracked.
    ///
    /// The store keeps the sections in memory while it watches for their changes (see
    /// ``TrackingRulesCache``), so instances sharing a database agree at once without a read per
    /// page. Only while the store is unreachable are the sections last read used instead, so
    /// pages keep being tracked (their views go to the spool).
    public func trackingSection(for path: SectionPath) async throws -> TrackedSection? {
        let policies: SectionPolicies
        do {
            let sections = try await storage.trackedSections()
            policies = lastKnownSections.value.withLock { known in
                // The lookup built for the same sections is used again.
                if let known, known.sections == sections { return known }
                known = SectionPolicies(sections)
                return known!
            }
        } catch let error as StorageUnavailable {
            guard let known = lastKnownSections.value.withLock({ $0 }) else { throw error }
            logger.debug("Using the tracked sections last read: \(error)")
            policies = known
        }
        // Only a tracked page costs the read of the paths never tracked.
        guard let section = policies.section(for: path) else { return nil }
        return try await ignoredPaths().contains { $0.contains(path) } ? nil : section
    }

    /// The paths never tracked: the configuration file's and the store's, read like the
    /// sections; while the store is unreachable its last ones read, or none (a page recorded
    /// needlessly is better than a read lost).
    public func ignoredPaths() async throws -> [SectionPath] {
        do {
            let paths = try await storage.ignoredPaths()
            lastKnownIgnoredPaths.value.withLock { $0 = paths }
            return configuredIgnoredPaths + paths
        } catch let error as StorageUnavailable {
            logger.debug("Using the paths never tracked last read: \(error)")
            return configuredIgnoredPaths + (lastKnownIgnoredPaths.value.withLock { $0 } ?? [])
        }
    }

    /// The snippet for one render of a tracked page, with a freshly minted token.
    /// - Parameters:
    ///   - member: The signed-in member.
    ///   - document: The document rendered.
    ///   - url: The URL rendered (path, no query).
    ///   - version: The version of the document rendered, when known.
    ///   - nonce: The page's CSP nonce, if any.
    ///   - acknowledgement: Whether to offer the "I have read this document" button.
    public func snippetHTML(
        member: String,
        document: DocumentReference,
        url: String,
        version: DocumentVersion? = nil,
        nonce: String? = nil,
        acknowledgement: Bool = false
    ) -> String {
        let token = signer.mint(member: member, document: document, url: url, version: version)
        return snippet.html(token: token, nonce: nonce, acknowledgement: acknowledgement)
    }

    /// Verifies a beacon's token for the signed-in member and records what it says durably.
    ///
    /// Returns only after the event's batch is committed (or spooled). An acknowledgement is taken
    /// only for a page whose section asks readers to confirm.
    /// - Parameters:
    ///   - kind: What the beacon says.
    ///   - token: The token the browser sent.
    ///   - attention: What the page reported (for a view only its automation flag is kept).
    ///   - member: The member signed in on the beacon request.
    ///   - now: The time the beacon arrived.
    /// - Returns: The event and what the store made of it.
    public func accept(
        _ kind: ViewEvent.Kind,
        token: String,
        attention: Attention? = nil,
        member: String,
        now: Date = Date()
    ) async throws(BeaconError) -> (event: ViewEvent, outcome: RecordOutcome) {
        let claims = try verify(token, member: member, now: now)
        var reported = attention
        if kind == .view, let attention {
            reported = Attention.none
            reported?.automated = attention.automated
        } else if kind == .acknowledgement {
            reported = nil
        }
        let event = claims.event(kind, viewedAt: now, attention: reported)
        do {
            if kind == .acknowledgement {
                let path = try SectionPath(claims.document.path)
                guard try await trackingSection(for: path)?.policy.requiresAcknowledgement == true else {
                    throw BeaconError.acknowledgementNotAsked
                }
            }
            return (event, try await queue.submit(event))
        } catch let error as BeaconError {
            throw error
        } catch {
            throw .notAccepted(error)
        }
    }

    /// A token for the next view of a single-page app that moved to `path` by the History API,
    /// or `nil` when that path is not tracked in the same section as the app's page.
    ///
    /// The server never sees the new page, so it vouches for the move only as far as it can: the
    /// current view must be the member's, unexpired and recorded, and the new path must lie in
    /// the same tracked section.
    /// - Parameters:
    ///   - token: The current view's token.
    ///   - path: The page's new path.
    ///   - member: The member signed in on the request.
    ///   - now: The time of the request.
    public func nextToken(after token: String, path: SectionPath, member: String, now: Date = Date()) async throws(BeaconError) -> String? {
        let claims = try verify(token, member: member, now: now)
        do {
            guard try await storage.countRecorded(renderIDs: [claims.renderID]) == 1 else { throw BeaconError.viewNotRecorded }
            let section = try await trackingSection(for: path)
            guard let section, try await trackingSection(for: SectionPath(claims.document.path))?.path == section.path else {
                return nil
            }
            return signer.mint(member: member, document: DocumentReference(path: path.value), url: path.value, now: now)
        } catch let error as BeaconError {
            throw error
        } catch {
            throw .notAccepted(error)
        }
    }

    private func verify(_ token: String, member: String, now: Date) throws(BeaconError) -> ViewToken {
        do {
            return try signer.verify(token, member: member, now: now)
        } catch {
            throw .invalidToken(error)
        }
    }
}

/// What was last read from the store (the tracked sections, the paths never tracked).
private final class LastKnown<Value: Sendable>: Sendable {
    let value = Mutex<Value?>(nil)
}
