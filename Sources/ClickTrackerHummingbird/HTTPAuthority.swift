/// The `host[:port]` of a request, checked before it is copied anywhere.
public enum HTTPAuthority {
    /// `true` if `authority` is `host[:port]` (a name, an IPv4 address or a bracketed IPv6 address),
    /// so it can be copied into other headers and policies safely.
    public static func isValid(_ authority: String) -> Bool {
        guard !authority.isEmpty, authority.utf8.count <= 261 else { return false }
        var host = Substring(authority)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let inside = host[host.index(after: host.startIndex)..<close]
            guard !inside.isEmpty, inside.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            host = host[host.index(after: close)...]
            guard host.isEmpty || host.hasPrefix(":") else { return false }
        } else {
            let name = host.prefix { $0 != ":" }
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) else { return false }
            host = host.dropFirst(name.count)
        }
        if host.hasPrefix(":") {
            let port = host.dropFirst()
            return !port.isEmpty && port.count <= 5 && port.allSatisfy(\.isNumber)
        }
        return host.isEmpty
    }

}
