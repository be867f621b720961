import Foundation

/// A plain-text email, rendered as RFC 5322 with UTF-8 headers (RFC 2047) and a base64 body, so
/// any mail server or `sendmail` command takes it unchanged.
struct MailMessage: Sendable {
    /// An address with an optional display name.
    struct Address: Sendable, Hashable {
        var name: String?
        var email: String

        /// `"Name" <email>`: the name quoted (so a comma or `<` in it is never read as another
        /// address), or encoded when it is not plain ASCII.
        var header: String {
            guard let name, !name.isEmpty else { return "<\(email)>" }
            guard MailMessage.isPlain(name) else { return "\(MailMessage.encodedWord(name)) <\(email)>" }
            let quoted = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(quoted)\" <\(email)>"
        }
    }

    var from: Address
    var to: Address
    var subject: String
    var body: String
    var date = Date()
    var messageID = "<\(UUID().uuidString.lowercased())@clicktracker>"

    /// The message as sent: headers and body, lines ending in CRLF.
    func rendered() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss +0000"
        let encoded = Data(body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
            .base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return [
            "From: \(from.header)",
            "To: \(to.header)",
            "Subject: \(Self.encodedWord(subject))",
            "Date: \(formatter.string(from: date))",
            "Message-ID: \(messageID)",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "Auto-Submitted: auto-generated",
            "",
            encoded,
            "",
        ].joined(separator: "\r\n")
    }

    /// A header value: as it is when printable ASCII, else RFC 2047 base64 encoded words.
    static func encodedWord(_ text: String) -> String {
        if isPlain(text) { return text }
        // Words of at most 45 bytes, cut between characters, so no line grows past 76.
        var words: [String] = []
        var current = Data()
        for character in text {
            let bytes = Data(String(character).utf8)
            if current.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(current.base64EncodedString())?=")
                current = Data()
            }
            current += bytes
        }
        if !current.isEmpty { words.append("=?UTF-8?B?\(current.base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// Printable ASCII without line breaks, and nothing that reads as an encoded word.
    static func isPlain(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7f } && !text.contains("=?")
    }

    /// Whether `text` looks like one email address (no spaces, angle brackets or line breaks).
    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !text.contains(where: { $0.isWhitespace || "<>\",;()[]\\".contains($0) })
    }
}
