import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A real headless Chromium, driven through chromedriver's W3C WebDriver protocol.
///
/// Starting fails loudly when Chromium or chromedriver is missing: the browser tests must run,
/// never skip. Install them with `apt-get install chromium chromium-driver`.
public final class WebDriver: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let process: ChildProcess
    private let base: String
    private let sessionID: String
    private let client: HTTPClient

    private init(process: ChildProcess, base: String, sessionID: String, client: HTTPClient) {
        self.process = process
        self.base = base
        self.sessionID = sessionID
        self.client = client
    }

    /// Starts chromedriver and a headless Chromium session.
    /// - Parameter pageLoadStrategy: `normal` waits for `load` on navigation; `none` returns at once.
    public static func start(pageLoadStrategy: String = "normal") async throws -> WebDriver {
        guard let driverPath = findExecutable(["chromedriver"]), let browserPath = findExecutable(["chromium", "chromium-browser"]) else {
            throw Failure(description: "chromium and chromedriver are required for the browser tests: apt-get install chromium chromium-driver")
        }
        let port = try freePort()
        let process = try ChildProcess(driverPath, ["--port=\(port)"], output: "/dev/null")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let base = "http://127.0.0.1:\(port)"
        do {
            try await waitUntilReady(client: client, base: base)
            let capabilities: [String: Any] = [
                "capabilities": [
                    "alwaysMatch": [
                        "browserName": "chrome",
                        "pageLoadStrategy": pageLoadStrategy,
                        "goog:chromeOptions": [
                            "binary": browserPath,
                            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"],
                        ],
                    ] as [String: Any]
                ]
            ]
            let created = try await send(client: client, method: .POST, url: base + "/session", body: capabilities)
            guard let value = created["value"] as? [String: Any], let sessionID = value["sessionId"] as? String else {
                throw Failure(description: "chromedriver did not create a session: \(created)")
            }
            return WebDriver(process: process, base: base, sessionID: sessionID, client: client)
        } catch {
            await stop(process)
            try? await client.shutdown()
            throw error
        }
    }

    /// Ends the session and stops chromedriver.
    public func quit() async {
        _ = try? await command(.DELETE, "")
        await Self.stop(process)
        try? await client.shutdown()
    }

    /// Opens a URL (waiting for `load` unless the page-load strategy is `none`).
    public func navigate(to url: String) async throws {
        _ = try await command(.POST, "/url", ["url": url])
    }

    /// Types into the element matching a CSS selector.
    public func type(_ text: String, into selector: String) async throws {
        let element = try await find(selector)
        _ = try await command(.POST, "/element/\(element)/value", ["text": text])
    }

    /// Clicks the element matching a CSS selector.
    public func click(_ selector: String) async throws {
        let element = try await find(selector)
        _ = try await command(.POST, "/element/\(element)/click", [:])
    }

    /// The current page's HTML.
    public func pageSource() async throws -> String {
        try await command(.GET, "/source")["value"] as? String ?? ""
    }

    /// The current URL.
    public func currentURL() async throws -> String {
        try await command(.GET, "/url")["value"] as? String ?? ""
    }

    /// Lets the browser save downloads (from links answered with `Content-Disposition:
    /// attachment`) into `directory`, through the Chrome DevTools protocol.
    public func allowDownloads(into directory: String) async throws {
        _ = try await command(
            .POST,
            "/goog/cdp/execute",
            ["cmd": "Page.setDownloadBehavior", "params": ["behavior": "allow", "downloadPath": directory]]
        )
    }

    /// Lays pages out as on a screen `width` CSS pixels wide (a phone's when `mobile`), through
    /// the Chrome DevTools protocol; `window.innerWidth` is then `width`.
    public func emulateScreen(width: Int, height: Int, mobile: Bool) async throws {
        _ = try await command(
            .POST,
            "/goog/cdp/execute",
            [
                "cmd": "Emulation.setDeviceMetricsOverride",
                "params": ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile],
            ]
        )
    }

    /// The handle of the current window (tab).
    public func windowHandle() async throws -> String {
        try await command(.GET, "/window")["value"] as? String ?? ""
    }

    /// Opens a new tab and switches to it, which hides the previous one; returns its handle.
    @discardableResult
    public func openTab() async throws -> String {
        let created = try await command(.POST, "/window/new", ["type": "tab"])
        guard let value = created["value"] as? [String: Any], let handle = value["handle"] as? String else {
            throw Failure(description: "no new tab: \(created)")
        }
        try await switchToWindow(handle)
        return handle
    }

    /// Switches to a window (tab), which makes it the visible one.
    public func switchToWindow(_ handle: String) async throws {
        _ = try await command(.POST, "/window", ["handle": handle])
    }

    /// Runs JavaScript in the page and returns its result.
    @discardableResult
    public func execute(_ script: String) async throws -> Any? {
        try await command(.POST, "/execute/sync", ["script": script, "args": []])["value"]
    }

    private func find(_ selector: String) async throws -> String {
        let response = try await command(.POST, "/element", ["using": "css selector", "value": selector])
        guard let value = response["value"] as? [String: Any], let element = value.values.first as? String else {
            throw Failure(description: "no element matches \(selector): \(response)")
        }
        return element
    }

    private func command(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        try await Self.send(client: client, method: method, url: "\(base)/session/\(sessionID)\(path)", body: body)
    }

    private static func send(client: HTTPClient, method: HTTPMethod, url: String, body: [String: Any]?) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let data = try await response.body.collect(upTo: 32 * 1024 * 1024)
        let json = (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any] ?? [:]
        if response.status.code >= 400 {
            throw Failure(description: "WebDriver \(method) \(url) failed with \(response.status): \(json)")
        }
        return json
    }

    private static func waitUntilReady(client: HTTPClient, base: String) async throws {
        for _ in 0..<100 {
            if let status = try? await send(client: client, method: .GET, url: base + "/status", body: nil),
                let value = status["value"] as? [String: Any], value["ready"] as? Bool == true
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "chromedriver did not become ready")
    }

    /// Kills chromedriver and waits (without blocking a thread) until it is gone.
    private static func stop(_ process: ChildProcess) async {
        kill(process.pid, SIGKILL)
        for _ in 0..<50 where process.isRunning {
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private static func findExecutable(_ names: [String]) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") + ["/usr/bin", "/usr/lib/chromium"]
        for name in names {
            for directory in directories where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
                return "\(directory)/\(name)"
            }
        }
        return nil
    }
}
