import AsyncHTTPClient
import ClickTracker
import ClickTrackerHummingbird
import ClickTrackerPostgres
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// The standalone server: a folder of documents behind sign-in, the tracking middleware, the
/// collector, and the admin pages, on SQLite (the default) or PostgreSQL.
public enum ClickTrackerServer {
    /// Builds the application for a configuration; run it with `runService()`.
    /// - Parameters:
    ///   - configuration: The server's settings.
    ///   - logger: The server's logger.
    ///   - onListening: Called with the bound port once the server accepts connections.
    public static func makeApplication(
        configuration: ServerConfiguration,
        logger: Logger = Logger(label: "clicktracker"),
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> some ApplicationProtocol {
        let key: SecretKey
        let store: LiveStore
        let spool: Spool
        do {
            // What can be checked without a file comes first: a refused start makes none.
            try configuration.validate()
            let location: StoreLocation =
                try configuration.postgresDSN.map { .postgres(try PostgresDSN($0)) }
                ?? .sqlite(path: configuration.databasePath)
            let initialSections = try configuration.initialSections.map { try SectionPath($0) }
            try location.check()
            key = try configuration.loadKey()
            spool = try Spool(directory: configuration.spoolDirectory)
            store = LiveStore(try await location.open(initialSections: initialSections, allowsUnreachable: true, logger: logger))
        } catch {
            throw ServerStartError(message: "\(error)")
        }
        let tracker = ClickTracker(
            storage: store,
            key: key,
            spool: spool,
            configuration: .init(
                collectorPath: configuration.collectorPath,
                tokenLifetime: configuration.tokenLifetime,
                idleSeconds: configuration.idleSeconds,
                heartbeatSeconds: configuration.heartbeatSeconds,
                ignoredPaths: configuration.ignoredPaths.compactMap { try? SectionPath($0) }
            ),
            logger: logger
        )
        let storage = StorageManager(live: store, queue: tracker.queue, configuration: configuration, logger: logger)
        let users = UserDirectory(path: configuration.usersFile)
        let signer = SessionSigner(key: key)
        let pages = try PageRenderer(collectorPath: configuration.collectorPath, signer: signer)
        let folder = configuration.siteDirectory.map(SiteFolder.init(root:))

        let router = Router(context: ServerRequestContext.self, options: .autoGenerateHeadEndpoints)
        let readerCookie = ReaderCookie(key: key)
        router.middlewares.add(SameOriginFormMiddleware(prefix: configuration.collectorPath))
        let endedSessions = EndedSessions(storage: store, logger: logger)
        router.middlewares.add(SessionMiddleware(signer: signer, users: users, endedSessions: endedSessions))
        router.middlewares.add(
            ForwardedIdentityMiddleware(
                header: configuration.identityHeader.flatMap { HTTPField.Name($0) },
                trustedAddresses: Set(configuration.trustedProxies),
                readerCookie: readerCookie,
                prefix: configuration.collectorPath,
                sessionUsersAreReaders: configuration.upstream == nil
            )
        )
        let proxied = configuration.upstream != nil
        router.middlewares.add(ClickTrackerMiddleware(tracker: tracker, trustsResponseMember: proxied && configuration.upstreamIdentity))
        let evidenceKey = EvidenceSigningKey(secret: key)
        let sealer = EvidenceSealer(log: store, key: evidenceKey)
        let receipts = RequestReceipts(storage: tracker.storage, sealer: sealer, prefix: configuration.collectorPath)
        let mail = try? configuration.mail()
        let reminders = mail.map { ReminderSender(storage: tracker.storage, transport: $0.transport, settings: $0.settings, logger: logger) }
        var services: [any Service] = [
            TrackerService(tracker: tracker),
            RequestWatcher(
                storage: tracker.storage,
                reminders: reminders,
                receipts: receipts,
                interval: .milliseconds(Int64(configuration.requestCheckInterval * 1000)),
                logger: logger
            ),
            WebhookDeliveryService(storage: tracker.storage, key: key, settings: configuration.webhooks, logger: logger),
            EvidenceService(sealer: sealer, interval: .seconds(5), logger: logger),
        ]
        if let days = configuration.retentionDays {
            services.append(RetentionService(storage: tracker.storage, days: days, everything: configuration.retentionEverything, logger: logger))
        }
        if let upstream = configuration.upstream {
            let timeout = TimeAmount.milliseconds(Int64(configuration.upstreamTimeout * 1000))
            // No read timeout: while a slow browser holds the body back, the upstream is not read
            // either, and that pause is not the upstream's fault. The time to the first answer is
            // bounded by the proxy itself.
            var clientConfiguration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: min(timeout, .seconds(10)), read: nil),
                decompression: .disabled
            )
            // An upstream that refuses connections is reported at once, not retried until the timeout.
            clientConfiguration.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
            services.append(HTTPClientService(client: client, logger: logger))
            router.middlewares.add(
                UpstreamProxy(
                    target: try UpstreamProxy.Target(url: upstream),
                    client: client,
                    timeout: .milliseconds(Int64(configuration.upstreamTimeout * 1000)),
                    prefix: configuration.collectorPath,
                    keepsHost: configuration.keepsHost,
                    trustsUpstreamIdentity: configuration.upstreamIdentity,
                    trustedAddresses: Set(configuration.trustedProxies),
                    readerCookie: readerCookie,
                    secureCookies: configuration.secureCookies,
                    pages: pages
                )
            )
        }
        // After the proxy: only what ClickTracker answers itself.
        router.middlewares.add(NoSniffMiddleware())
        ClickTrackerCollector<ServerRequestContext>(tracker: tracker).addRoutes(to: router)
        AuthController(
            users: users,
            signer: signer,
            pages: pages,
            secureCookies: configuration.secureCookies,
            endedSessions: endedSessions,
            throttle: SignInThrottle(),
            audit: store,
            trustedProxies: Set(configuration.trustedProxies),
            logger: logger
        ).addRoutes(to: router)
        let admin = AdminGate(signer: signer, pages: pages, queue: tracker.queue, storage: tracker.storage)
        let requestDocuments = RequestDocuments(folder: folder, tracker: tracker)
        TrackingController(tracker: tracker, folder: folder, documents: requestDocuments, admin: admin, pages: pages).addRoutes(to: router)
        StorageController(storage: storage, admin: admin, pages: pages).addRoutes(to: router)
        GroupsController(storage: tracker.storage, admin: admin, pages: pages).addRoutes(to: router)
        RequestsController(tracker: tracker, documents: requestDocuments, admin: admin, pages: pages, reminders: reminders, receipts: receipts)
            .addRoutes(to: router)
        EvidenceController(log: store, key: evidenceKey.publicKey, prefix: configuration.collectorPath).addRoutes(to: router)
        ReadsController(tracker: tracker, admin: admin, pages: pages).addRoutes(to: router)
        APITokensController(storage: tracker.storage, admin: admin, pages: pages).addRoutes(to: router)
        AuditController(storage: tracker.storage, admin: admin, pages: pages).addRoutes(to: router)
        WebhooksController(storage: tracker.storage, key: key, admin: admin, pages: pages).addRoutes(to: router)
        APIController(storage: tracker.storage, key: key, documents: requestDocuments, prefix: configuration.collectorPath).addRoutes(to: router)
        if let folder {
            SiteController(folder: folder, pages: pages)
                .addRoutes(to: router)
        }

        let limits = configuration.limits
        let connections = limits.connections(proxying: configuration.upstream != nil)
        logger.info(
            "At most \(connections) connections at once; a request head must arrive within \(limits.headerTimeout) s, a small body within \(limits.bodyTimeout) s, the next request within \(limits.idleTimeout) s"
        )
        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [RequestDeadlineHandler(limits: limits)])),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "ClickTracker",
                availableConnectionsDelegate: MaximumAvailableConnections(connections, logger: logger)
            ),
            services: services,
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }
}

/// The server could not start: bad configuration, key file or database.
public struct ServerStartError: Error, CustomStringConvertible {
    /// What went wrong, for the operator.
    public let message: String

    public var description: String { message }
}

/// Runs the ingest queue and closes the store once the queue has drained, so the store is never
/// closed under a batch, whether the server stops gracefully or is cancelled.
struct TrackerService: Service {
    let tracker: ClickTracker

    func run() async throws {
        try await tracker.queue.run()
        // Closing must finish even when the service group is being cancelled.
        let storage = tracker.storage
        try await Task { try await storage.close() }.value
    }
}
