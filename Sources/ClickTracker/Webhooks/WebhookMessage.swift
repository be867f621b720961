import Foundation

/// An event to be sent to every endpoint that asked for its type: a store writes it to the outbox
/// in the same transaction as the change it tells of, so a crash neither loses nor invents one.
public struct WebhookMessage: Sendable, Hashable {
    /// The event.
    public var type: WebhookEventType
    /// The JSON body sent: `{"type": …, "timestamp": …, "data": {…}}`.
    public var payload: Data

    /// Creates a message from its body.
    public init(type: WebhookEventType, payload: Data) {
        self.type = type
        self.payload = payload
    }

    /// Creates a message with the Standard Webhooks envelope around `data`.
    /// - Parameters:
    ///   - type: The event.
    ///   - data: The event's data, a JSON object.
    ///   - timestamp: When the event happened.
    public init(type: WebhookEventType, data: [String: Any], timestamp: Date) throws {
        let envelope: [String: Any] = ["type": type.rawValue, "timestamp": Self.iso8601(timestamp), "data": data]
        self.init(type: type, payload: try JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// A time as messages write it: `2026-12-03T09:00:00.000Z`.
    public static func iso8601(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
            .replacingOccurrences(of: "+0000", with: "Z")
    }

    /// How long a message is retried before it is given up: one day.
    public static let retryWindow: TimeInterval = 86_400

    /// A new message id, `msg_` and 128 random bits in hex (the same for every attempt).
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "msg_" + (0..<16).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }
}
