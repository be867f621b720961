import NIOCore

/// Inserts a snippet before the closing `</body>` tag of a streamed HTML document, or at its
/// end when there is none.
///
/// Feed the body chunk by chunk to ``process(_:)`` and call ``finish()`` once. A `</body` inside a
/// `<script>` element or an HTML comment is not the closing tag. Tags may be split across chunks:
/// bytes are held back only while a `<…` construct is still undecided (at most a few bytes). The
/// snippet is made when the insertion point is reached, from the ``DocumentVersion`` of
/// everything before it (see ``PageFingerprint``) and the document's `<title>`, and inserted
/// exactly once.
public struct HTMLInjector: Sendable {
    private let makeSnippet: @Sendable (DocumentVersion, String?) -> String
    private var fingerprint = PageFingerprint()
    /// The start of the document, kept until its title is read (at most ``HTMLTitle/searchedBytes``).
    private var head: [UInt8] = []
    private var title: String?
    private var readsTitle = true
    private var pending = ByteBuffer()
    private var state = State.text
    private var inserted = false

    private enum State {
        case text
        case comment
        case script
    }

    /// What the bytes at a position say about a pattern.
    private enum Match {
        case yes
        case no
        case needMoreBytes
    }

    /// Creates an injector for one document.
    /// - Parameter snippet: Makes the HTML to insert from the version of the document before it
    ///   and its title (`nil` when it has none).
    public init(snippet: @escaping @Sendable (DocumentVersion, String?) -> String) {
        self.makeSnippet = snippet
    }

    /// Creates an injector that inserts fixed HTML.
    /// - Parameter snippet: The HTML to insert.
    public init(snippet: String) {
        self.init { _, _ in snippet }
    }

    /// Reads the document's bytes before the insertion point. The start of the document is kept
    /// until `</title` (then the title is read, once) or `<body` shows, or 64 KiB have passed;
    /// each byte is looked at once for them.
    private mutating func read(_ bytes: ByteBufferView) {
        fingerprint.update(bytes)
        guard readsTitle, !bytes.isEmpty else { return }
        // A tag split across chunks is found: the search starts a tag's length back.
        let start = max(0, head.count - Self.titleClose.count + 1)
        head.append(contentsOf: bytes.prefix(HTMLTitle.searchedBytes - head.count))
        if HTMLTitle.find(Self.titleClose, in: head, from: start) != nil {
            title = HTMLTitle.extract(from: head)
        } else if HTMLTitle.find(Self.bodyOpen, in: head, from: start) == nil, head.count < HTMLTitle.searchedBytes {
            return
        }
        readsTitle = false
        head = []
    }

    private static let titleClose = Array("</title".utf8)
    private static let bodyOpen = Array("<body".utf8)

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
        let result = window.withUnsafeReadableBytes { scan($0.assumingMemoryBound(to: UInt8.self)) }
        switch result {
        case .insert(let offset):
            inserted = true
            var head = window.getSlice(at: window.readerIndex, length: offset)!
            var tail = window.getSlice(at: window.readerIndex + offset, length: window.readableBytes - offset)!
            read(head.readableBytesView)
            var snippet = ByteBuffer(string: makeSnippet(fingerprint.version(), title))
            var output = ByteBuffer()
            output.reserveCapacity(window.readableBytes + snippet.readableBytes)
            output.writeBuffer(&head)
            output.writeBuffer(&snippet)
            output.writeBuffer(&tail)
            return output
        case .hold(let offset):
            pending = window.getSlice(at: window.readerIndex + offset, length: window.readableBytes - offset)!
            let sent = window.getSlice(at: window.readerIndex, length: offset)!
            read(sent.readableBytesView)
            return sent
        }
    }

    /// Ends the document and returns what remains to send, with the snippet if no `</body>` was seen.
    public mutating func finish() -> ByteBuffer {
        var output = pending
        pending = ByteBuffer()
        if !inserted {
            read(output.readableBytesView)
            var snippet = ByteBuffer(string: makeSnippet(fingerprint.version(), title))
            output.writeBuffer(&snippet)
            inserted = true
        }
        return output
    }

    private enum ScanResult {
        /// Insert the snippet at this offset.
        case insert(Int)
        /// Send everything before this offset; keep the rest until more bytes arrive.
        case hold(Int)
    }

    private static let commentOpen = Array("<!--".utf8)
    private static let commentClose = Array("-->".utf8)
    private static let scriptOpen = Array("<script".utf8)
    private static let scriptClose = Array("</script".utf8)
    private static let bodyClose = Array("</body".utf8)

    private mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> ScanResult {
        var index = 0
        while index < bytes.count {
            switch state {
            case .text:
                guard let open = bytes.firstOffset(of: UInt8(ascii: "<"), from: index) else { return .hold(bytes.count) }
                switch Self.match(Self.bodyClose, in: bytes, at: open, tagName: true) {
                case .yes: return .insert(open)
                case .needMoreBytes: return .hold(open)
                case .no: break
                }
                switch Self.match(Self.commentOpen, in: bytes, at: open, tagName: false) {
                case .yes:
                    state = .comment
                    index = open + Self.commentOpen.count
                    continue
                case .needMoreBytes: return .hold(open)
                case .no: break
                }
                switch Self.match(Self.scriptOpen, in: bytes, at: open, tagName: true) {
                case .yes:
                    state = .script
                    index = open + Self.scriptOpen.count
                    continue
                case .needMoreBytes: return .hold(open)
                case .no: index = open + 1
                }
            case .comment:
                guard let dash = bytes.firstOffset(of: UInt8(ascii: "-"), from: index) else { return .hold(bytes.count) }
                switch Self.match(Self.commentClose, in: bytes, at: dash, tagName: false) {
                case .yes:
                    state = .text
                    index = dash + Self.commentClose.count
                case .needMoreBytes: return .hold(dash)
                case .no: index = dash + 1
                }
            case .script:
                guard let open = bytes.firstOffset(of: UInt8(ascii: "<"), from: index) else { return .hold(bytes.count) }
                switch Self.match(Self.scriptClose, in: bytes, at: open, tagName: true) {
                case .yes:
                    state = .text
                    index = open + Self.scriptClose.count
                case .needMoreBytes: return .hold(open)
                case .no: index = open + 1
                }
            }
        }
        return .hold(bytes.count)
    }

    /// Compares `pattern` (lower case) with the bytes at `start`, ignoring ASCII case. With
    /// `tagName`, the pattern must be followed by `>`, `/` or white space, as a tag name is.
    private static func match(
        _ pattern: [UInt8],
        in bytes: UnsafeBufferPointer<UInt8>,
        at start: Int,
        tagName: Bool
    )
        -> Match
    {
        for offset in 0..<pattern.count {
            let index = start + offset
            guard index < bytes.count else { return .needMoreBytes }
            let byte = bytes[index]
            let lowered = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
            if lowered != pattern[offset] { return .no }
        }
        guard tagName else { return .yes }
        let end = start + pattern.count
        guard end < bytes.count else { return .needMoreBytes }
        switch bytes[end] {
        case UInt8(ascii: ">"), UInt8(ascii: "/"), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"),
            UInt8(ascii: "\r"), 0x0C:
            return .yes
        default:
            return .no
        }
    }
}
