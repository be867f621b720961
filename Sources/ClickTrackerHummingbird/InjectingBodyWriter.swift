import ClickTracker
import Hummingbird

/// A body writer that passes the body through an ``HTMLInjector`` on its way out.
struct InjectingBodyWriter: ResponseBodyWriter {
    var parent: any ResponseBodyWriter
    var injector: HTMLInjector

    mutating func write(_ buffer: ByteBuffer) async throws {
        let output = injector.process(buffer)
        if output.readableBytes > 0 {
            try await parent.write(output)
        }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        let rest = injector.finish()
        if rest.readableBytes > 0 {
            try await parent.write(rest)
        }
        try await parent.finish(trailingHeaders)
    }
}
