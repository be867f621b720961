import Hummingbird

extension Request {
    /// The value of the first cookie called `name`, as `cookies[name]?.value` reads it, found
    /// by scanning the `Cookie` headers' bytes instead of parsing every cookie (each request
    /// with a session looks one up).
    func cookieValue(_ name: String) -> String? {
        for header in headers[values: .cookie] {
            var utf8 = header.utf8[...]
            while !utf8.isEmpty {
                let end = utf8.firstIndex(of: UInt8(ascii: ";")) ?? utf8.endIndex
                let pair = utf8[..<end].drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
                if let equals = pair.firstIndex(of: UInt8(ascii: "=")), pair[..<equals].elementsEqual(name.utf8) {
                    return String(Substring(pair[pair.index(after: equals)...]))
                }
                utf8 = end == utf8.endIndex ? utf8[end...] : utf8[utf8.index(after: end)...]
            }
        }
        return nil
    }
}
