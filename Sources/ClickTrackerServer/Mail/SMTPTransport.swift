import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Sends mail to an SMTP server (RFC 5321). The connection is upgraded with STARTTLS (RFC 3207)
/// whenever the server offers it, checking the server's certificate against the system's
/// certificate authorities (or `caFile`); the password (`AUTH PLAIN`) is only ever sent encrypted,
/// except to a server on this machine. With ``tls`` off, the connection stays plain (a local relay).
struct SMTPTransport: MailTransport {
    let host: String
    let port: Int
    let username: String?
    let password: String?
    /// The name this server gives in `EHLO`.
    let heloName: String
    /// Whether to use STARTTLS when the server offers it (`mail.smtp.tls`, on unless `false`).
    let tls: Bool
    /// A PEM file of the certificate authorities to trust instead of the system's (`mail.smtp.ca_file`).
    let caFile: String?

    var summary: String { "through the SMTP server \(host):\(port)" }

    /// The longest a whole conversation may take.
    static let timeout = Duration.seconds(60)

    func send(_ message: MailMessage) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await converse(message) }
            group.addTask {
                try await Task.sleep(for: Self.timeout)
                throw MailError(description: "the SMTP server \(host):\(port) did not finish within 60 s")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func converse(_ message: MailMessage) async throws {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel(wrappingChannelSynchronously: channel) }
                }
        } catch {
            let reason = "\(error)".localizedCaseInsensitiveContains("refused") ? "nothing answers there (connection refused)" : "\(error)"
            throw MailError(description: "could not connect to the SMTP server \(host):\(port): \(reason)")
        }
        try await channel.executeThenClose { inbound, outbound in
            var replies = SMTPReplies(inbound.makeAsyncIterator())
            func command(_ line: String, expect: ClosedRange<Int>, shown: String? = nil) async throws -> SMTPReplies.Reply {
                if !line.isEmpty { try await outbound.write(ByteBuffer(string: line + "\r\n")) }
                let reply = try await replies.next()
                guard expect.contains(reply.code) else {
                    let what = shown ?? String(line.prefix(40))
                    throw MailError(description: "the SMTP server refused \(what.isEmpty ? "the connection" : what): \(reply.code) \(reply.text)")
                }
                return reply
            }
            _ = try await command("", expect: 220...220)
            var hello = try await command("EHLO \(heloName)", expect: 250...250)
            let offersTLS = hello.text.split(separator: "\n").contains { $0.uppercased().hasPrefix("STARTTLS") }
            var encrypted = false
            if tls, offersTLS {
                _ = try await command("STARTTLS", expect: 220...220)
                try await startTLS(on: channel.channel)
                encrypted = true
                hello = try await command("EHLO \(heloName)", expect: 250...250)
            }
            if let username {
                guard encrypted || Self.isLoopback(host) else {
                    throw MailError(
                        description:
                            "the SMTP server \(host):\(port) does not offer encryption (STARTTLS), so the password was not sent; use a server that does, or a sendmail command"
                    )
                }
                guard hello.text.uppercased().contains("AUTH") else {
                    throw MailError(
                        description:
                            "the SMTP server \(host):\(port) does not offer sign-in (AUTH); remove mail.smtp.username or use TLS through a sendmail command"
                    )
                }
                let token = Data("\0\(username)\0\(password ?? "")".utf8).base64EncodedString()
                _ = try await command("AUTH PLAIN \(token)", expect: 235...235, shown: "the user name or password")
            }
            _ = try await command("MAIL FROM:<\(message.from.email)>", expect: 250...250)
            _ = try await command("RCPT TO:<\(message.to.email)>", expect: 250...251, shown: "the address \(message.to.email)")
            _ = try await command("DATA", expect: 354...354)
            // Dot-stuffing: a line starting with "." gets another.
            let data = message.rendered().replacingOccurrences(of: "\r\n.", with: "\r\n..")
            _ = try await command(data + ".", expect: 250...250, shown: "the message")
            try? await outbound.write(ByteBuffer(string: "QUIT\r\n"))
        }
    }
}

extension SMTPTransport {
    /// Puts TLS in front of the connection, checking the server's certificate for ``host``.
    private func startTLS(on channel: any Channel) async throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw MailError(description: "cannot read the certificate authorities in \(caFile) (mail.smtp.ca_file): \(error)")
            }
        }
        let context = try NIOSSLContext(configuration: configuration)
        // A host given as an address is checked against the certificate's IP addresses.
        let serverName = host.first?.isNumber == true || host.contains(":") ? nil : host
        do {
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName), position: .first)
            }.get()
        } catch {
            throw MailError(description: "could not start encryption with the SMTP server \(host):\(port): \(error)")
        }
    }

    /// Whether mail to `host` stays on this machine.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// The server's replies, read line by line from the connection: `250-…` lines continue a reply,
/// `250 …` ends it.
struct SMTPReplies {
    struct Reply {
        let code: Int
        /// Every line's text, joined with newlines.
        let text: String
    }

    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var pending = ByteBuffer()

    init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) {
        self.iterator = iterator
    }

    mutating func next() async throws -> Reply {
        var lines: [String] = []
        while true {
            let line = try await nextLine()
            guard line.count >= 3, let code = Int(line.prefix(3)) else {
                throw MailError(description: "the SMTP server answered something that is not SMTP: \(line.prefix(80))")
            }
            lines.append(String(line.dropFirst(4)))
            if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] != "-" {
                return Reply(code: code, text: lines.joined(separator: "\n"))
            }
        }
    }

    private mutating func nextLine() async throws -> String {
        while true {
            if let end = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let length = end - pending.readerIndex
                var line = pending.readString(length: length) ?? ""
                pending.moveReaderIndex(forwardBy: 1)
                if line.hasSuffix("\r") { line.removeLast() }
                return line
            }
            guard pending.readableBytes < 64 * 1024, var chunk = try await iterator.next() else {
                throw MailError(description: "the SMTP server closed the connection")
            }
            pending.writeBuffer(&chunk)
        }
    }
}
