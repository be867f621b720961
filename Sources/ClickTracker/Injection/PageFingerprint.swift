import Crypto
import Foundation
import NIOCore

/// Follows an HTML document as it streams and works out its ``DocumentVersion``: the words of
/// its text (outside tags, comments, `<script>` and `<style>`), counted and hashed with white
/// space collapsed, so a change of markup or of a per-render attribute (a CSRF token, a nonce)
/// is not a new version, while any change of the text is. When the page has a `<main>` element,
/// only the text inside it counts, so a header that greets the reader by name does not make
/// each reader's copy a version of its own.
public struct PageFingerprint: Sendable {
    /// The words of one part of the page, hashed (each word with a space before it).
    private struct Text {
        var hasher = SHA256()
        var words = 0
        var buffer: [UInt8] = []

        mutating func take(_ normalized: UnsafeBufferPointer<UInt8>, words: Int) {
            buffer.append(contentsOf: normalized)
            self.words += words
            if buffer.count >= 16_384 { flush() }
        }

        mutating func flush() {
            guard !buffer.isEmpty else { return }
            hasher.update(data: buffer)
            buffer.removeAll(keepingCapacity: true)
        }

        func version() -> DocumentVersion {
            var hasher = hasher
            if !buffer.isEmpty { hasher.update(data: buffer) }
            return DocumentVersion(id: Base64URL.encode(Array(hasher.finalize().prefix(12))), words: words)
        }
    }

    private enum State {
        case text
        case tag
        case comment
        case rawText
    }

    private var state = State.text
    private var page = Text()
    private var main = Text()
    private var sawMain = false
    private var inMain = false
    private var inWord = false
    /// The start of the current tag's name, lower-cased (enough to tell `script`, `style` and `!--`).
    private var tagName: [UInt8] = []
    private var nameEnded = false
    /// The quote that opened the attribute value being read, if any: a `>` inside it is text.
    private var quote: UInt8?
    /// While in a comment or raw text: the closing sequence and how much of it matched so far.
    private var closing: [UInt8] = []
    private var matched = 0

    /// Starts a fingerprint.
    public init() {}

    /// Takes the next bytes of the document.
    public mutating func update(_ bytes: ByteBufferView) {
        if bytes.withContiguousStorageIfAvailable({ take($0) }) == nil {
            Array(bytes).withUnsafeBufferPointer { take($0) }
        }
        page.flush()
        main.flush()
    }

    /// The version of everything taken so far (of the `<main>` element's text, if there was one).
    public func version() -> DocumentVersion {
        sawMain ? main.version() : page.version()
    }

    private static let script = Array("script".utf8)
    private static let style = Array("style".utf8)
    private static let mainOpen = Array("main".utf8)
    private static let mainClose = Array("/main".utf8)
    private static let commentOpen = Array("!--".utf8)

    private mutating func take(_ bytes: UnsafeBufferPointer<UInt8>) {
        var index = 0
        while index < bytes.count {
            guard state == .text else {
                // Bytes that cannot change the state are skipped: inside a tag after its name,
                // all but `>` and quotes (or all but the closing quote); in a comment or raw
                // text, all but the first byte of the closing sequence.
                if state == .tag, nameEnded {
                    index = quote.map { bytes.firstOffset(of: $0, from: index) ?? bytes.count } ?? Self.indexOfTagEnd(in: bytes, from: index)
                } else if state != .tag, matched == 0 {
                    index = bytes.firstOffset(of: closing[0], from: index) ?? bytes.count
                }
                if index < bytes.count {
                    takeMarkup(bytes[index])
                    index += 1
                }
                continue
            }
            // Text runs to the next `<`.
            let end = bytes.firstOffset(of: UInt8(ascii: "<"), from: index) ?? bytes.count
            if end > index { takeText(UnsafeBufferPointer(rebasing: bytes[index..<end])) }
            index = end
            if index < bytes.count {
                state = .tag
                tagName.removeAll(keepingCapacity: true)
                nameEnded = false
                quote = nil
                inWord = false
                index += 1
            }
        }
    }

    /// Collapses a run of text to its words, each with one space before it, and hashes them.
    private mutating func takeText(_ run: UnsafeBufferPointer<UInt8>) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: run.count * 2) { output in
            var count = 0
            var words = 0
            var inWord = self.inWord
            for byte in run {
                if Self.isSpace(byte) {
                    inWord = false
                    continue
                }
                if !inWord {
                    output[count] = UInt8(ascii: " ")
                    count += 1
                    words += 1
                    inWord = true
                }
                output[count] = byte
                count += 1
            }
            self.inWord = inWord
            let normalized = UnsafeBufferPointer(rebasing: output[..<count])
            page.take(normalized, words: words)
            if inMain { main.take(normalized, words: words) }
        }
    }

    /// Follows one byte inside a tag, a comment or a script or style element.
    private mutating func takeMarkup(_ byte: UInt8) {
        let lowered = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
        switch state {
        case .text:
            break
        case .tag:
            if let open = quote {
                if byte == open { quote = nil }
            } else if nameEnded, byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                state = .text
                if tagName == Self.script || tagName == Self.style {
                    enterRawText(closing: [UInt8(ascii: "<"), UInt8(ascii: "/")] + tagName)
                } else if tagName == Self.mainOpen {
                    sawMain = true
                    inMain = true
                } else if tagName == Self.mainClose {
                    inMain = false
                }
            } else if !nameEnded {
                if Self.isSpace(byte) || (byte == UInt8(ascii: "/") && !tagName.isEmpty) || tagName.count == 8 {
                    nameEnded = true
                } else {
                    tagName.append(lowered)
                    if tagName == Self.commentOpen { enterRawText(closing: Array("-->".utf8), state: .comment) }
                }
            }
        case .comment, .rawText:
            if lowered == closing[matched] {
                matched += 1
                if matched == closing.count {
                    // A comment ends here; raw text ends with its closing tag, whose `>` follows.
                    state = state == .comment ? .text : .tag
                    tagName.removeAll(keepingCapacity: true)
                    nameEnded = true
                    quote = nil
                }
            } else if lowered != closing[0] {
                matched = 0
            } else if !closing.prefix(matched).allSatisfy({ $0 == lowered }) {
                // A repeat of the first byte keeps what matched (`--->` still closes a comment).
                matched = 1
            }
        }
    }

    private mutating func enterRawText(closing: [UInt8], state: State = .rawText) {
        self.state = state
        self.closing = closing
        matched = 0
    }

    /// The index of the first `>`, `"` or `'` at or after `start`, or the end.
    private static func indexOfTagEnd(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ">") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") { return index }
            index += 1
        }
        return index
    }

    @inline(__always)
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte <= 0x20 && (byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C)
    }
}
