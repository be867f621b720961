import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A minimal browser-like HTTP client for live-server tests: keeps cookies, never follows redirects.
public actor HTTPSession {
    /// A response with its body read.
    public struct Reply: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: String

        /// The first header with this name.
        public func header(_ name: String) -> String? { headers.first(name: name) }
    }

    private let base: String
    private let client: HTTPClient
    private var cookies: [String: String] = [:]

    /// Creates a session against `http://127.0.0.1:<port>`.
    public init(port: Int) {
        self.base = "http://127.0.0.1:\(port)"
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
    }

    /// Closes the connection pool.
    public func close() async {
        try? await client.shutdown()
    }

    deinit {
        // A test that throws before `close()` must fail as itself, not crash the whole run in the
        // client's check for a pool left open: shut it down here (again, harmlessly, after `close()`).
        client.shutdown { _ in }
    }

    /// The value of a cookie the server set.
    public func cookie(_ name: String) -> String? { cookies[name] }

    /// Sends a cookie from now on, as if the server had set it (a copied cookie).
    public func setCookie(_ name: String, _ value: String) { cookies[name] = value }

    /// Sends a `GET`.
    public func get(_ path: String, headers: [(String, String)] = []) async throws -> Reply {
        try await send(.GET, path, headers: headers, body: nil)
    }

    /// Sends a `HEAD`.
    public func head(_ path: String) async throws -> Reply {
        try await send(.HEAD, path, headers: [], body: nil)
    }

    /// Sends a form `POST`.
    public func post(_ path: String, form: [(String, String)]) async throws -> Reply {
        let body = form.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(.POST, path, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body)
    }

    /// Sends a `POST` with a raw body (and extra headers).
    public func post(
        _ path: String,
        body: String,
        contentType: String = "application/x-www-form-urlencoded",
        headers: [(String, String)] = []
    ) async throws -> Reply {
        try await send(.POST, path, headers: [("Content-Type", contentType)] + headers, body: body)
    }

    /// Sends a `DELETE` (with extra headers).
    public func delete(_ path: String, headers: [(String, String)] = []) async throws -> Reply {
        try await send(.DELETE, path, headers: headers, body: nil)
    }

    private func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)], body: String?) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if !cookies.isEmpty {
            request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(30))
        for header in response.headers["Set-Cookie"] {
            let pair = header.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let name = String(pair[0]).trimmingCharacters(in: .whitespaces)
            let expired = header.lowercased().contains("max-age=0")
            cookies[name] = expired ? nil : String(pair[1])
        }
        let data = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: data))
    }

    /// Percent-encodes a form value.
    public static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-_.~"))) ?? ""
    }
}
