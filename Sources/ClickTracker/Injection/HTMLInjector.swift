import NIOCore

/// Inserts a snippet before the first `</body>` of a streamed HTML document, or at its end
/// when there is none.
///
/// Feed the body chunk by chunk to ``process(_:)`` and call ``finish()`` once. The closing tag
/// may be split across chunks; at most six bytes are held back between calls. The snippet is
/// inserted exactly once, so the body grows by exactly ``snippet``'s length.
public struct HTMLInjector: Sendable {
    /// The bytes inserted.
    public let snippet: ByteBuffer
    private var pending = ByteBuffer()
    private var inserted = false

    private static let closingTag = Array("</body".utf8)

    /// Creates an injector for one document.
    /// - Parameter snippet: The HTML to insert.
    public init(snippet: String) {
        self.snippet = ByteBuffer(string: snippet)
    }

    /// Processes one chunk of the body and returns the bytes to send on.
    public mutating func process(_ chunk: ByteBuffer) -> ByteBuffer {
        if inserted { return chunk }
        var window = pending
        pending = ByteBuffer()
        if window.readableBytes == 0 {
            window = chunk
        } else {
            var chunk = chunk
            window.writeBuffer(&chunk)
        }
        let bytes = window.readableBytesView
        if let index = Self.closingTagIndex(in: bytes) {
            let offset = index - bytes.startIndex
            var output = ByteBuffer()
            output.reserveCapacity(window.readableBytes + snippet.readableBytes)
            var head = window.getSlice(at: window.readerIndex, length: offset)!
            var tail = window.getSlice(at: window.readerIndex + offset, length: window.readableBytes - offset)!
            var snippet = snippet
            output.writeBuffer(&head)
            output.writeBuffer(&snippet)
            output.writeBuffer(&tail)
            inserted = true
            return output
        }
        let keep = min(Self.closingTag.count, window.readableBytes)
        let emit = window.readableBytes - keep
        pending = window.getSlice(at: window.readerIndex + emit, length: keep)!
        return window.getSlice(at: window.readerIndex, length: emit)!
    }

    /// Ends the document and returns what remains to send, with the snippet if no `</body>` was seen.
    public mutating func finish() -> ByteBuffer {
        var output = pending
        pending = ByteBuffer()
        if !inserted {
            var snippet = snippet
            output.writeBuffer(&snippet)
            inserted = true
        }
        return output
    }

    /// Index of `</body` followed by `>`, `/` or white space; case-insensitive. A match that
    /// may still continue in the next chunk (the tag ends the window) is not reported yet.
    static func closingTagIndex(in bytes: ByteBufferView) -> ByteBufferView.Index? {
        let tag = closingTag
        var index = bytes.startIndex
        while let start = bytes[index...].firstIndex(of: UInt8(ascii: "<")) {
            let end = start + tag.count
            guard end < bytes.endIndex else { return nil }
            var matches = true
            for offset in 1..<tag.count where bytes[start + offset] | 0x20 != tag[offset] {
                matches = false
                break
            }
            if matches && bytes[start + 1] == UInt8(ascii: "/") {
                switch bytes[end] {
                case UInt8(ascii: ">"), UInt8(ascii: "/"), UInt8(ascii: " "), UInt8(ascii: "\t"),
                    UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0C:
                    return start
                default:
                    break
                }
            }
            index = start + 1
        }
        return nil
    }
}
