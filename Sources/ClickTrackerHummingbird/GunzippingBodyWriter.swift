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

    mutating func write(_ buffer: ByteBuffer) async throws {
        if !started {
            try decompressor.startStream()
            started = true
        }
        var input = buffer
        let output = try input.decompressStream(with: decompressor)
        if output.readableBytes > 0 {
            try await parent.write(output)
        }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        if started { try decompressor.finishStream() }
        try await parent.finish(trailingHeaders)
    }
}
