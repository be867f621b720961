import CompressNIO
import Hummingbird

/// A body writer that decompresses a gzip body on its way to `parent`, chunk by chunk.
struct GunzippingBodyWriter<Parent: ResponseBodyWriter>: ResponseBodyWriter {
    var parent: Parent
    private let decompressor: any NIODecompressor
    private var started = false

    init(parent: Parent) {
        self.parent = parent
        self.decompressor = CompressionAlgorithm.gzip().decompressor
    }

    /// Decompressed bytes are passed on in windows of this size, so a small, highly compressed
    /// chunk never becomes one huge buffer.
    static var windowSize: Int { 64 * 1024 }

    mutating func write(_ buffer: ByteBuffer) async throws {
        if !started {
            try decompressor.startStream()
            started = true
        }
        var input = buffer
        while true {
            var window = ByteBufferAllocator().buffer(capacity: Self.windowSize)
            var windowFull = false
            do {
                try input.decompressStream(to: &window, with: decompressor)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                windowFull = true
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                // The input ended inside a block; the rest comes with the next chunk.
            }
            if window.readableBytes > 0 { try await parent.write(window) }
            guard windowFull || (input.readableBytes > 0 && window.readableBytes > 0) else { break }
        }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        if started { try decompressor.finishStream() }
        try await parent.finish(trailingHeaders)
    }
}
