import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// nginx from Debian serving a folder on a free loopback port, as a real upstream: static files
/// with ETags and ranges, `gzip` for HTML, and a `ClickTracker-User` header taken from the
/// site's own `who` cookie under `/papers/`. Fails loudly when nginx is not installed.
public final class Nginx: Sendable {
    public let port: Int
    private let process: ChildProcess
    private let directory: TemporaryDirectory

    /// Starts nginx serving `root`.
    public init(root: String) async throws {
        let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { throw PostgresServer.Failure(description: "nginx is required for the proxy tests: apt-get install nginx") }
        directory = try TemporaryDirectory("nginx")
        port = try freePort()
        let config = try directory.write(
            "nginx.conf",
            """
            worker_processes 1;
            daemon off;
            pid \(directory.path)/nginx.pid;
            error_log \(directory.path)/error.log;
            events { worker_connections 256; }
            http {
                access_log off;
                types { text/html html; application/pdf pdf; }
                client_body_temp_path \(directory.path)/body;
                proxy_temp_path \(directory.path)/proxy;
                fastcgi_temp_path \(directory.path)/fastcgi;
                uwsgi_temp_path \(directory.path)/uwsgi;
                scgi_temp_path \(directory.path)/scgi;
                server {
                    listen 127.0.0.1:\(port);
                    root \(root);
                    gzip on;
                    gzip_types text/html;
                    gzip_min_length 0;
                    location /papers/ { add_header ClickTracker-User $cookie_who; }
                }
            }
            """
        )
        process = try ChildProcess(binary, ["-c", config, "-p", directory.path], output: "/dev/null")
        let deadline = Date().addingTimeInterval(10)
        while !Self.accepts(port) {
            guard Date() < deadline, process.isRunning else {
                let log = (try? String(contentsOfFile: directory.file("error.log"), encoding: .utf8)) ?? ""
                throw PostgresServer.Failure(description: "nginx did not start: \(log)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Stops nginx and removes its folder.
    public func stop() {
        if process.isRunning {
            kill(process.pid, SIGQUIT)
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.pid, SIGKILL) }
        }
        directory.remove()
    }

    private static func accepts(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
