/// Something that sends mail: an SMTP server or a `sendmail` command.
protocol MailTransport: Sendable {
    /// Sends one message; throws ``MailError`` with the reason in words when it was refused.
    func send(_ message: MailMessage) async throws

    /// How mail goes out, for the request page ("through the SMTP server mail.example.org:25").
    var summary: String { get }
}

/// Why a message was not sent, for the request page and the audit log.
struct MailError: Error, CustomStringConvertible {
    let description: String
}
