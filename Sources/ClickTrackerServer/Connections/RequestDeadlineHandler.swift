import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client is too slow: no request within the idle timeout, a
/// request head not complete within the header timeout of its first byte, or a small body not
/// complete within the body timeout of its head. A slowloris client sending a byte a second
/// holds a connection for seconds, not for ever.
///
/// It sits behind Hummingbird's HTTP codec, where it sees requests and responses, and puts a
/// ``FirstByteObserver`` at the front of the pipeline to learn when a request's first byte
/// arrives. Each change of state only moves the deadline; the one timer of a connection, when
/// it fires, closes the connection if the deadline has passed and otherwise waits for it, so a
/// request costs no timer of its own.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        /// Waiting for a request's first byte (a new connection, or after a response).
        case idle
        /// The first byte arrived; waiting for the complete head.
        case readingHead
        /// Reading a request's body.
        case readingBody
        /// The request was read; the server is answering.
        case answering
    }

    private let limits: ConnectionLimits
    private var state = State.idle
    /// When the connection is closed unless the state moves on; `nil` while there is no limit.
    private var deadline: NIODeadline?
    private var timer: (scheduled: Scheduled<Void>, at: NIODeadline)?

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        try? context.pipeline.syncOperations.addHandler(FirstByteObserver(owner: self), position: .first)
        if context.channel.isActive { limit(context, limits.idleTimeout) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimer()
    }

    func channelActive(context: ChannelHandlerContext) {
        limit(context, limits.idleTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimer()
        context.fireChannelInactive()
    }

    /// Bytes arrived on the socket (called by the observer, before they are decoded).
    fileprivate func bytesArrived(context: ChannelHandlerContext) {
        guard state == .idle else { return }
        state = .readingHead
        limit(context, limits.headerTimeout)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            state = .readingBody
            let length = head.headerFields[.contentLength].flatMap(Int.init)
            if let length, length <= ConnectionLimits.smallBodyBytes {
                limit(context, limits.bodyTimeout)
            } else if length == nil, head.headerFields[.transferEncoding] == nil {
                limit(context, limits.bodyTimeout)
            } else {
                // A large or streamed upload: its pace is the upstream's as much as the client's.
                deadline = nil
            }
        case .body:
            break
        case .end:
            state = .answering
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), state == .answering {
            state = .idle
            limit(context, limits.idleTimeout)
        }
        context.write(data, promise: promise)
    }

    /// Moves the deadline to `seconds` from now; the timer is rescheduled only when it would
    /// fire after the new deadline.
    private func limit(_ context: ChannelHandlerContext, _ seconds: Double) {
        let deadline = NIODeadline.now() + .milliseconds(Int64(seconds * 1000))
        self.deadline = deadline
        if let timer, timer.at <= deadline { return }
        startTimer(context, at: deadline)
    }

    private func startTimer(_ context: ChannelHandlerContext, at when: NIODeadline) {
        timer?.scheduled.cancel()
        let scheduled = context.eventLoop.assumeIsolated().scheduleTask(deadline: when) {
            self.timer = nil
            guard let deadline = self.deadline else { return }
            if deadline <= .now() {
                context.close(promise: nil)
            } else {
                self.startTimer(context, at: deadline)
            }
        }
        timer = (scheduled, when)
    }

    private func stopTimer() {
        timer?.scheduled.cancel()
        timer = nil
        deadline = nil
    }
}

@available(*, unavailable)
extension RequestDeadlineHandler: Sendable {}

/// Sees the raw bytes before the HTTP decoder and tells the ``RequestDeadlineHandler`` that a
/// request has begun.
private final class FirstByteObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let owner: RequestDeadlineHandler
    private var ownerContext: ChannelHandlerContext?

    init(owner: RequestDeadlineHandler) {
        self.owner = owner
    }

    func handlerAdded(context: ChannelHandlerContext) {
        ownerContext = try? context.pipeline.syncOperations.context(handlerType: RequestDeadlineHandler.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        ownerContext = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let ownerContext { owner.bytesArrived(context: ownerContext) }
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension FirstByteObserver: Sendable {}
