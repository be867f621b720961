import ClickTracker
import Configuration
import Foundation
import HTTPTypes

/// Everything `clicktracker serve` needs, read from a JSON config file and `CLICKTRACKER_*`
/// environment variables (the environment wins); command-line flags override both.
///
/// Keys (JSON / environment): `host` / `CLICKTRACKER_HOST`, `port`, `site`, `users`,
/// `database`, `postgres.dsn`, `spool`, `upstream.url`, `upstream.timeout`, `upstream.host`,
/// `identity.header`, `identity.trusted`, `identity.upstream`, `key.file`, `key.secret`, `collector.path`, `sections.initial`, `sections.ignore`,
/// `cookies.secure`, `token.lifetime`, `attention.idle`, `attention.heartbeat`, `limits.header_timeout`,
/// `limits.body_timeout`, `limits.idle_timeout`, `limits.connections`, `mail.from`, `mail.site_url`, `mail.smtp.host`,
/// `mail.smtp.port`, `mail.smtp.username`, `mail.smtp.password`, `mail.smtp.tls`, `mail.smtp.ca_file`, `mail.sendmail`, `webhooks.retry_base`, `webhooks.timeout`,
/// `requests.check_interval`. Relative paths in the file are taken relative to it.
public struct ServerConfiguration: Sendable {
    /// Address to listen on.
    public var host = "127.0.0.1"
    /// Port to listen on; 0 picks a free one.
    public var port = 8080
    /// Folder of documents to serve.
    public var siteDirectory: String?
    /// Users file (JSON, bcrypt password hashes).
    public var usersFile = "users.json"
    /// SQLite database file (used unless ``postgresDSN`` is set).
    public var databasePath = "clicktracker.sqlite"
    /// PostgreSQL connection string; when set, the server stores reads there. Never printed.
    public var postgresDSN: String?
    /// `true` when ``postgresDSN`` comes from the environment (which wins over the file).
    public var postgresDSNFromEnvironment = false
    /// Folder of the local spool that keeps accepted reads while the database is unreachable;
    /// one per instance.
    public var spoolDirectory = "clicktracker.spool"
    /// The JSON file the configuration was read from; the Storage page saves the DSN there.
    public var configFile: String?
    /// Secret key file (created with mode 0600 if missing); used when ``keySecret`` is not set.
    public var keyFile = "clicktracker.key"
    /// The secret itself, base64 (at least 32 bytes), so several instances can share it
    /// without a shared file. Never printed.
    public var keySecret: String?
    /// Mount point of ClickTracker's own pages and collector routes.
    public var collectorPath = "/_clicktracker"
    /// Sections marked when the database is new (a fresh demo shows tracking at once).
    public var initialSections: [String] = []
    /// Paths never tracked, even inside a marked section.
    public var ignoredPaths: [String] = []
    /// Send cookies with the `Secure` attribute (set when served over HTTPS).
    public var secureCookies = false
    /// How long a view token is accepted, in seconds.
    public var tokenLifetime: TimeInterval = 12 * 3600
    /// Seconds without input after which the script stops counting active time (30 when `nil`).
    public var idleSeconds: Int?
    /// Seconds between the script's reports while the reader is active (15 when `nil`).
    public var heartbeatSeconds: Int?
    /// The site to put ClickTracker in front of (proxy mode), instead of ``siteDirectory``.
    public var upstream: String?
    /// Seconds to wait for the upstream to connect or send the next bytes before answering `504`.
    public var upstreamTimeout: TimeInterval = 30
    /// Send the client's `Host` header to the upstream (`upstream.host: keep`) instead of the upstream's own.
    public var keepsHost = false
    /// A request header naming the reader, set by an authenticating proxy in front (such as `X-Forwarded-User`).
    public var identityHeader: String?
    /// Addresses of the proxies in front whose identity header and `X-Forwarded-For` are believed.
    public var trustedProxies: [String] = []
    /// Let the upstream name the reader with a `ClickTracker-User` response header (proxy mode).
    public var upstreamIdentity = true

    /// Days view rows are kept (`retention.days`); older ones are removed every hour. `nil`
    /// keeps them for ever.
    public var retentionDays: Int?
    /// With a retention period, also remove the reading summaries and access-log rows last
    /// touched before it (`retention.everything`), instead of keeping them.
    public var retentionEverything = false

    /// Time limits for slow clients and the most connections at once.
    public var limits = ConnectionLimits()

    /// The sender of reminders (`mail.from`, "Board office <board@example.org>"); reminders are
    /// sent only when mail is configured.
    public var mailFrom: String?
    /// The site's address as readers open it (`mail.site_url`), for the links in reminders.
    public var mailSiteURL: String?
    /// An SMTP server for reminders (`mail.smtp.host`, `mail.smtp.port`, 25 by default).
    public var smtpHost: String?
    public var smtpPort = 25
    /// Signs in to the SMTP server (`mail.smtp.username`, `mail.smtp.password`). Never printed.
    public var smtpUsername: String?
    public var smtpPassword: String?
    /// Use STARTTLS when the SMTP server offers it (`mail.smtp.tls`, `true` by default), checking
    /// its certificate against the system's authorities or `mail.smtp.ca_file`.
    public var smtpTLS = true
    public var smtpCAFile: String?
    /// A `sendmail` command instead of SMTP (`mail.sendmail`, such as `["/usr/bin/msmtp", "-t"]`).
    public var sendmailCommand: [String]?
    /// How webhooks are sent (`webhooks.retry_base`, `webhooks.timeout`).
    public var webhooks = WebhookSettings()
    /// Seconds between looks at the reading requests: freezing, completion, reminders
    /// (`requests.check_interval`, 60 by default).
    public var requestCheckInterval: TimeInterval = 60

    /// Creates the defaults.
    public init() {}

    /// Reads the configuration file (if given) and the environment.
    /// - Parameter file: A JSON config file, or `nil` for environment and defaults only.
    public static func load(file: String?) async throws -> ServerConfiguration {
        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider().prefixKeys(with: "clicktracker")]
        var base = FileManager.default.currentDirectoryPath
        var configuration = ServerConfiguration()
        if let file {
            try ConfigFileCheck.check(file)
            providers.append(try await FileProvider<JSONSnapshot>(filePath: .init(file)))
            configuration.configFile = URL(fileURLWithPath: file).standardized.path
            base = URL(fileURLWithPath: file).deletingLastPathComponent().path
        }
        let reader = ConfigReader(providers: providers)
        func path(_ key: ConfigKey, _ fallback: String) -> String {
            resolve(reader.string(forKey: key, default: fallback), relativeTo: base)
        }
        configuration.host = reader.string(forKey: "host", default: configuration.host)
        configuration.port = reader.int(forKey: "port", default: configuration.port)
        configuration.siteDirectory = reader.string(forKey: "site").map { resolve($0, relativeTo: base) }
        configuration.usersFile = path("users", configuration.usersFile)
        configuration.databasePath = path("database", configuration.databasePath)
        configuration.postgresDSN = reader.string(forKey: "postgres.dsn", isSecret: true)
        configuration.postgresDSNFromEnvironment = ProcessInfo.processInfo.environment["CLICKTRACKER_POSTGRES_DSN"] != nil
        configuration.spoolDirectory = path("spool", configuration.spoolDirectory)
        configuration.keyFile = path("key.file", configuration.keyFile)
        configuration.keySecret = reader.string(forKey: "key.secret", isSecret: true)
        configuration.collectorPath = reader.string(forKey: "collector.path", default: configuration.collectorPath)
        configuration.initialSections = reader.stringArray(forKey: "sections.initial", default: [])
        configuration.ignoredPaths = reader.stringArray(forKey: "sections.ignore", default: [])
        configuration.secureCookies = reader.bool(forKey: "cookies.secure", default: false)
        configuration.tokenLifetime = reader.double(forKey: "token.lifetime", default: configuration.tokenLifetime)
        configuration.idleSeconds = reader.int(forKey: "attention.idle")
        configuration.heartbeatSeconds = reader.int(forKey: "attention.heartbeat")
        configuration.retentionDays = reader.int(forKey: "retention.days")
        configuration.retentionEverything = reader.bool(forKey: "retention.everything", default: false)
        configuration.upstream = reader.string(forKey: "upstream.url")
        configuration.upstreamTimeout = reader.double(forKey: "upstream.timeout", default: configuration.upstreamTimeout)
        configuration.keepsHost = reader.string(forKey: "upstream.host", default: "upstream") == "keep"
        configuration.identityHeader = reader.string(forKey: "identity.header")
        configuration.trustedProxies = reader.stringArray(forKey: "identity.trusted", default: [])
        configuration.upstreamIdentity = reader.bool(forKey: "identity.upstream", default: true)
        configuration.limits.headerTimeout = reader.double(forKey: "limits.header_timeout", default: configuration.limits.headerTimeout)
        configuration.limits.bodyTimeout = reader.double(forKey: "limits.body_timeout", default: configuration.limits.bodyTimeout)
        configuration.limits.idleTimeout = reader.double(forKey: "limits.idle_timeout", default: configuration.limits.idleTimeout)
        configuration.limits.maximumConnections = reader.int(forKey: "limits.connections")
        configuration.mailFrom = reader.string(forKey: "mail.from")
        configuration.mailSiteURL = reader.string(forKey: "mail.site_url")
        configuration.smtpHost = reader.string(forKey: "mail.smtp.host")
        configuration.smtpPort = reader.int(forKey: "mail.smtp.port", default: configuration.smtpPort)
        configuration.smtpUsername = reader.string(forKey: "mail.smtp.username")
        configuration.smtpPassword = reader.string(forKey: "mail.smtp.password", isSecret: true)
        configuration.smtpTLS = reader.bool(forKey: "mail.smtp.tls", default: true)
        configuration.smtpCAFile = reader.string(forKey: "mail.smtp.ca_file").map { resolve($0, relativeTo: base) }
        configuration.sendmailCommand = reader.stringArray(forKey: "mail.sendmail")
        configuration.webhooks.retryBase = reader.double(forKey: "webhooks.retry_base", default: configuration.webhooks.retryBase)
        configuration.webhooks.timeout = reader.double(forKey: "webhooks.timeout", default: configuration.webhooks.timeout)
        configuration.requestCheckInterval = reader.double(forKey: "requests.check_interval", default: configuration.requestCheckInterval)
        return configuration
    }

    /// The server secret: ``keySecret`` if set, else the key file (created if missing).
    public func loadKey() throws -> SecretKey {
        if let keySecret, let bytes = Data(base64Encoded: keySecret), bytes.count >= 32 {
            return SecretKey(bytes: bytes)
        }
        return try SecretKey.loadOrCreate(path: keyFile)
    }

    /// Checks values that would otherwise fail later and less clearly.
    public func validate() throws(ConfigurationError) {
        guard (0...65535).contains(port) else { throw .invalid("port \(port) is not between 0 and 65535") }
        guard let collector = try? SectionPath(collectorPath), !collector.isRoot, collector.value == collectorPath else {
            throw .invalid("collector.path must be a normalised path below the root, such as /_clicktracker")
        }
        for section in initialSections + ignoredPaths {
            guard let path = try? SectionPath(section), !path.isRoot else {
                throw .invalid("'\(section)' is not a section path below the root")
            }
        }
        if let keySecret, (Data(base64Encoded: keySecret)?.count ?? 0) < 32 {
            throw .invalid("key.secret must be base64 of at least 32 bytes (try: openssl rand -base64 32)")
        }
        guard tokenLifetime > 0 else { throw .invalid("token.lifetime must be positive") }
        try limits.validate()
        if let idleSeconds, !(1...3600).contains(idleSeconds) { throw .invalid("attention.idle must be 1 to 3600 seconds") }
        if let heartbeatSeconds, !(1...3600).contains(heartbeatSeconds) {
            throw .invalid("attention.heartbeat must be 1 to 3600 seconds")
        }
        if let retentionDays {
            guard (1...36_500).contains(retentionDays) else { throw .invalid("retention.days must be 1 to 36500") }
            // A view still waiting in a spool must not be older than the period, or it would come back.
            guard Double(retentionDays) * 86_400 > tokenLifetime else {
                throw .invalid("retention.days must be longer than token.lifetime")
            }
        }
        if let upstream {
            guard siteDirectory == nil else { throw .invalid("give either a site folder or an upstream, not both") }
            _ = try UpstreamProxy.Target(url: upstream)
            guard upstreamTimeout > 0 else { throw .invalid("upstream.timeout must be positive") }
        }
        if let identityHeader, HTTPField.Name(identityHeader) == nil {
            throw .invalid("identity.header '\(identityHeader)' is not a header name")
        }
        guard webhooks.retryBase > 0, webhooks.retryBase <= 3600 else { throw .invalid("webhooks.retry_base must be 1 s to 3600 s") }
        guard webhooks.timeout > 0, webhooks.timeout <= 120 else { throw .invalid("webhooks.timeout must be up to 120 s") }
        guard requestCheckInterval > 0, requestCheckInterval <= 3600 else { throw .invalid("requests.check_interval must be up to 3600 s") }
        _ = try mail()
        if let siteDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: siteDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw .invalid("the site folder \(siteDirectory) does not exist")
            }
        }
    }

    /// How reminders are sent, `nil` when mail is not configured.
    func mail() throws(ConfigurationError) -> (transport: any MailTransport, settings: MailSettings)? {
        guard smtpHost != nil || sendmailCommand != nil || mailFrom != nil else { return nil }
        guard let mailFrom, let from = MailSettings.parseSender(mailFrom) else {
            throw .invalid("mail.from must be the reminders' sender, such as \"Board office <board@example.org>\"")
        }
        guard let mailSiteURL, let url = URLComponents(string: mailSiteURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw .invalid("mail.site_url must be the site's address as readers open it, such as https://papers.example.org")
        }
        let settings = MailSettings(from: from, siteURL: mailSiteURL)
        switch (smtpHost, sendmailCommand) {
        case (let host?, nil):
            guard (1...65535).contains(smtpPort) else { throw .invalid("mail.smtp.port must be between 1 and 65535") }
            let helo = ProcessInfo.processInfo.hostName.isEmpty ? "localhost" : ProcessInfo.processInfo.hostName
            let transport = SMTPTransport(
                host: host,
                port: smtpPort,
                username: smtpUsername,
                password: smtpPassword,
                heloName: helo,
                tls: smtpTLS,
                caFile: smtpCAFile
            )
            return (transport, settings)
        case (nil, let command?):
            guard let program = command.first, program.hasPrefix("/") else {
                throw .invalid("mail.sendmail must be a command with its full path, such as [\"/usr/bin/msmtp\", \"-t\"]")
            }
            return (SendmailTransport(command: command, temporaryDirectory: NSTemporaryDirectory()), settings)
        case (nil, nil):
            throw .invalid("set mail.smtp.host (an SMTP server) or mail.sendmail (a sendmail command) to send reminders")
        case (.some, .some):
            throw .invalid("set either mail.smtp.host or mail.sendmail, not both")
        }
    }

    private static func resolve(_ path: String, relativeTo base: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: base).appendingPathComponent(path).standardized.path
    }
}

/// A configuration value that cannot work.
public enum ConfigurationError: Error, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let message): "invalid configuration: \(message)"
        }
    }
}
