import ClickTracker
import CompressNIO
import Hummingbird

/// The answer to `GET <collectorPath>/script.js`: the tracking script, compressed once and sent
/// gzip-compressed to browsers that accept it.
enum ScriptResponse {
    /// The script, compressed once at the best gzip level; `nil` if that failed (it is then sent as is).
    static let gzipped: ByteBuffer? = {
        var source = ByteBuffer(string: TrackingScript.source)
        return try? source.compress(with: .gzip(configuration: .init(compressionLevel: 9)))
    }()

    /// The script: gzip-compressed to browsers that accept it, cached for a year under its
    /// versioned URL; `304` when the browser has this version.
    static func make(for request: Request) -> Response {
        let gzipped = Self.gzipped.flatMap { Self.acceptsGzip(request.headers[values: .acceptEncoding]) ? $0 : nil }
        // The two encodings are two representations: each its own entity tag.
        let etag = "\"\(TrackingScript.version)\(gzipped == nil ? "" : "-gzip")\""
        let versioned = request.uri.queryParameters["v"].map { String($0) } == TrackingScript.version
        var headers: HTTPFields = [
            .contentType: "text/javascript; charset=utf-8",
            .cacheControl: versioned ? "public, max-age=31536000, immutable" : "public, max-age=300",
            .eTag: etag,
            .vary: "Accept-Encoding",
        ]
        if request.headers[.ifNoneMatch] == etag {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        if let gzipped {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: gzipped))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: TrackingScript.source)))
    }

    /// Whether an `Accept-Encoding` list takes gzip (`gzip` or `*`, with a quality above 0).
    static func acceptsGzip(_ values: [String]) -> Bool {
        var accepts = false
        for item in values.joined(separator: ",").split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first, coding == "gzip" || coding == "x-gzip" || coding == "*" else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if coding == "*" { accepts = accepts || quality > 0 } else { return quality > 0 }
        }
        return accepts
    }
}
