import Crypto
import NIOCore

/// Follows an HTML document as it streams and works out its ``DocumentVersion``: the words of
/// its text (outside tags, comments, `<script>` and `<style>`), counted and hashed with white
/// space collapsed, so a change of markup or of a per-render attribute (a CSRF token, a nonce)
/// is not a new version, while any change of the text is. When the page has a `<main>` element,
/// only the text inside it counts, so a header that greets the reader by name does not make
/// each reader's copy a version of its own.
public struct PageFingerprint: Sendable {
    /// The words of one part of the page, hashed.
    private struct Text {
        var hasher = SHA256()
        var words = 0
        var buffer: [UInt8] = []

        mutating func startWord() {
            if words > 0 { buffer.append(UInt8(ascii: " ")) }
            words += 1
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
        for byte in bytes { take(byte) }
        page.flush()
        main.flush()
    }

    /// The version of everything taken so far (of the `<main>` element's text, if there was one).
    public func version() -> DocumentVersion {
        sawMain ? main.version() : page.version()
    }

    private mutating func take(_ byte: UInt8) {
        let lowered = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
        switch state {
        case .text:
            if byte == UInt8(ascii: "<") {
                state = .tag
                tagName.removeAll(keepingCapacity: true)
                nameEnded = false
                quote = nil
                inWord = false
            } else if Self.isSpace(byte) {
                inWord = false
            } else {
                if !inWord {
                    page.startWord()
                    if inMain { main.startWord() }
                    inWord = true
                }
                page.buffer.append(byte)
                if inMain { main.buffer.append(byte) }
            }
        case .tag:
            if let open = quote {
                if byte == open { quote = nil }
            } else if nameEnded, byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                state = .text
                if tagName == Array("script".utf8) || tagName == Array("style".utf8) {
                    enterRawText(closing: "</" + String(decoding: tagName, as: UTF8.self))
                } else if tagName == Array("main".utf8) {
                    sawMain = true
                    inMain = true
                } else if tagName == Array("/main".utf8) {
                    inMain = false
                }
            } else if !nameEnded {
                if Self.isSpace(byte) || (byte == UInt8(ascii: "/") && !tagName.isEmpty) || tagName.count == 8 {
                    nameEnded = true
                } else {
                    tagName.append(lowered)
                    if tagName == Array("!--".utf8) { enterRawText(closing: "-->", state: .comment) }
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
        if page.buffer.count >= 4096 {
            page.flush()
            main.flush()
        }
    }

    private mutating func enterRawText(closing: String, state: State = .rawText) {
        self.state = state
        self.closing = Array(closing.utf8)
        matched = 0
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C
    }
}
