import Foundation

/// The compact binary form of a token's claims (token version 2), read and written without
/// JSON: a flags byte, the issue and expiry times in milliseconds (8 bytes each, big-endian),
/// then length-prefixed UTF-8 strings (the length a LEB128 varint): render id, member, path,
/// and only when present or different from the path, the document key, the URL, the title and
/// the version (its id, then its word count as a varint).
enum ViewTokenBytes {
    private enum Flag {
        static let title: UInt8 = 1
        static let version: UInt8 = 2
        static let url: UInt8 = 4
        static let key: UInt8 = 8
        static let all: UInt8 = 15
    }

    /// The claims as bytes.
    static func encode(_ token: ViewToken) -> [UInt8] {
        var flags: UInt8 = 0
        if token.document.title != nil { flags |= Flag.title }
        if token.version != nil { flags |= Flag.version }
        if token.url != token.document.path { flags |= Flag.url }
        if token.document.key != token.document.path { flags |= Flag.key }
        var bytes: [UInt8] = [flags]
        bytes.reserveCapacity(64 + token.member.utf8.count + token.document.path.utf8.count * 2 + (token.document.title?.utf8.count ?? 0))
        append(milliseconds(token.issuedAt), to: &bytes)
        append(milliseconds(token.expiresAt), to: &bytes)
        append(token.renderID, to: &bytes)
        append(token.member, to: &bytes)
        append(token.document.path, to: &bytes)
        if flags & Flag.key != 0 { append(token.document.key, to: &bytes) }
        if flags & Flag.url != 0 { append(token.url, to: &bytes) }
        if let title = token.document.title { append(title, to: &bytes) }
        if let version = token.version {
            append(version.id, to: &bytes)
            appendVarint(UInt64(max(0, version.words)), to: &bytes)
        }
        return bytes
    }

    /// The claims in `bytes`, or `nil` unless they are exactly one well-formed set of claims.
    static func decode(_ bytes: ArraySlice<UInt8>) -> ViewToken? {
        var reader = Reader(bytes: bytes)
        guard let flags = reader.byte(), flags & ~Flag.all == 0,
            let issued = reader.uint64(), let expires = reader.uint64(),
            let renderID = reader.string(), let member = reader.string(), let path = reader.string()
        else { return nil }
        var document = DocumentReference(path: path)
        var url = path
        var version: DocumentVersion?
        if flags & Flag.key != 0 {
            guard let key = reader.string() else { return nil }
            document.key = key
        }
        if flags & Flag.url != 0 {
            guard let value = reader.string() else { return nil }
            url = value
        }
        if flags & Flag.title != 0 {
            guard let title = reader.string() else { return nil }
            document.title = title
        }
        if flags & Flag.version != 0 {
            guard let id = reader.string(), let words = reader.varint(), words <= UInt64(Int.max) else { return nil }
            version = DocumentVersion(id: id, words: Int(words))
        }
        guard reader.isAtEnd, issued <= UInt64(Int64.max), expires <= UInt64(Int64.max) else { return nil }
        return ViewToken(
            member: member,
            document: document,
            url: url,
            renderID: renderID,
            issuedAt: date(Int64(issued)),
            expiresAt: date(Int64(expires)),
            version: version
        )
    }

    /// Milliseconds since 1970, within what a token can hold (a lifetime beyond that is cut short).
    private static func milliseconds(_ date: Date) -> UInt64 {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded(.down)
        guard milliseconds.isFinite else { return milliseconds > 0 ? UInt64(Int64.max / 2) : 0 }
        return UInt64(min(max(0, milliseconds), Double(Int64.max / 2)))
    }

    private static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    private static func append(_ string: String, to bytes: inout [UInt8]) {
        appendVarint(UInt64(string.utf8.count), to: &bytes)
        bytes.append(contentsOf: string.utf8)
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Reads the fields in order; every read fails rather than run past the end.
    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var index: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            self.index = bytes.startIndex
        }

        var isAtEnd: Bool { index == bytes.endIndex }

        mutating func byte() -> UInt8? {
            guard index < bytes.endIndex else { return nil }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func uint64() -> UInt64? {
            guard bytes.endIndex - index >= 8 else { return nil }
            var value: UInt64 = 0
            for _ in 0..<8 {
                value = value << 8 | UInt64(bytes[index])
                index += 1
            }
            return value
        }

        mutating func varint() -> UInt64? {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                guard let byte = byte() else { return nil }
                value |= UInt64(byte & 0x7F) << UInt64(shift)
                if byte < 0x80 { return value }
            }
            return nil
        }

        mutating func string() -> String? {
            guard let length = varint(), length <= UInt64(bytes.endIndex - index) else { return nil }
            let end = index + Int(length)
            defer { index = end }
            return String(validating: bytes[index..<end], as: UTF8.self)
        }
    }
}
