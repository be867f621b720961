import Foundation

/// One message to one endpoint, as the outbox keeps it: what was sent, how often, and what the
/// endpoint answered.
public struct WebhookDelivery: Sendable, Hashable {
    /// Where a delivery stands.
    public enum State: String, Sendable, Hashable {
        /// Not yet answered with a 2xx; tried again at ``WebhookDelivery/nextAttemptAt``.
        case pending
        /// The endpoint answered with a 2xx.
        case delivered
        /// Given up after a day of attempts; "send again" starts over.
        case failed
    }

    /// The outbox row.
    public var id: Int64
    /// The endpoint and its URL.
    public var endpointID: Int64
    public var url: String
    /// The message id sent as `webhook-id`, the same for every attempt.
    public var messageID: String
    public var type: WebhookEventType
    public var payload: Data
    public var createdAt: Date
    public var state: State
    /// Attempts started so far (one may be under way).
    public var attempts: Int
    public var nextAttemptAt: Date
    /// After this time a failed attempt is not retried.
    public var giveUpAt: Date
    public var lastAttemptAt: Date?
    /// The endpoint's HTTP status at the last attempt, if it answered.
    public var lastStatus: Int?
    /// Why the last attempt failed, in words.
    public var lastError: String?
    public var deliveredAt: Date?

    /// Creates a delivery as stored.
    public init(
        id: Int64,
        endpointID: Int64,
        url: String,
        messageID: String,
        type: WebhookEventType,
        payload: Data,
        createdAt: Date,
        state: State,
        attempts: Int,
        nextAttemptAt: Date,
        giveUpAt: Date,
        lastAttemptAt: Date? = nil,
        lastStatus: Int? = nil,
        lastError: String? = nil,
        deliveredAt: Date? = nil
    ) {
        self.id = id
        self.endpointID = endpointID
        self.url = url
        self.messageID = messageID
        self.type = type
        self.payload = payload
        self.createdAt = createdAt
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.giveUpAt = giveUpAt
        self.lastAttemptAt = lastAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.deliveredAt = deliveredAt
    }
}

/// A delivery claimed by one instance for one attempt, with what is needed to send it.
public struct ClaimedDelivery: Sendable, Hashable {
    public var delivery: WebhookDelivery
    /// The endpoint's sealed secret.
    public var sealedSecret: String

    /// Creates a claimed delivery.
    public init(delivery: WebhookDelivery, sealedSecret: String) {
        self.delivery = delivery
        self.sealedSecret = sealedSecret
    }
}

/// How an attempt ended.
public enum WebhookAttemptOutcome: Sendable, Hashable {
    /// The endpoint answered with this 2xx status.
    case delivered(status: Int, at: Date)
    /// It did not: its status if it answered, why in words, and when to try again (`nil`: give up).
    case failed(status: Int?, error: String, at: Date, retryAt: Date?)
}

/// One page of the delivery log, newest first, and how many deliveries there are in all.
public struct WebhookDeliveryPage: Sendable, Hashable {
    public var deliveries: [WebhookDelivery]
    public var total: Int

    /// Creates a page.
    public init(deliveries: [WebhookDelivery], total: Int) {
        self.deliveries = deliveries
        self.total = total
    }
}
